"""Courses, lessons, spaced review and learner progress (built on ``dictionary``).

Only the blueprint exists so far; the lesson issues fill it in.
"""
from flask import Blueprint

bp = Blueprint("lessons", __name__, url_prefix="/lessons")
