"""From an original recording to its playback copy, with every figure the Recording stores.

Where it sits: the worker's ``intake.process_job`` calls ``process`` on a stored original
and a scratch folder, then moves the playback copy into ``media/audio/play/`` and copies the
figures onto the ``Recording``. This module decides (audio.md §3.3, issue 13 §2); ``ffmpeg``
runs the tools. No Flask, no database.

The recipe (``p1``): probe → decode to the canonical WAV → refuse < 0.3 s, > 60 s (decoded
length) → measure → refuse "no speech" (< −60 LUFS) → word clips only: trim silence, in the
frame it was measured in, before any gain → measure again → one linear gain to −16 LUFS,
capped so the sample peak lands at −1 dBFS → MP3 → verify the MP3 itself.

Verification, decided: an MP3 whose true peak overshoots −0.5 dBTP (the encoder's low-pass
can ring above the WAV's sample peak) is encoded once more with the gain lowered by the
overshoot and counts as peak-limited. Anything still wrong after that — an empty decode, a
peak still too high, a loudness off target without a peak to excuse it — is a bug or a
pathological file, never something to publish: ``AudioRefused("check_failed")``, which the
worker records on the recording (status failed, reason shown to the curator).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import ffmpeg
from .ffmpeg import AudioRefused

__all__ = ["AudioRefused", "Processed", "process", "REASONS"]

REASONS = ("not_audio", "video", "too_short", "too_long", "no_speech", "undecodable",
           "timeout", "check_failed")
MIN_MS, MAX_MS = 300, 60_000
DECODE_SECONDS = 61  # read one second past the limit, so "too long" is seen without reading 2 h
NO_SPEECH_LUFS = -60.0
TARGET_LUFS = -16.0  # AES TD1004's range for speech; Vietnamese TTS uses the same target
PEAK_CEILING = -1.0  # dBFS: where the gain may put the sample peak
TRUE_PEAK_LIMIT = -0.5  # dBTP the playback copy must not exceed
TOLERANCE_LU = 1.0
LENGTH_SLACK_MS = 100  # MP3 frames are 36 ms at 32 kHz; the LAME tag makes it gapless anyway
PLAYBACK_NAME = "play.p1.mp3"  # p1: the recipe version, as storage.RECIPE


@dataclass(frozen=True)
class Processed:
    """The playback copy (``path``, in the work folder) and its figures."""

    path: Path
    original_ms: int  # the original, decoded (≤ 61 s read)
    duration_ms: int  # the playback copy, decoded
    trimmed_ms: int  # silence removed by the trim (0 for sentences and when the guard fell back)
    trim_fallback: bool  # trimming left < 0.15 s: kept untrimmed, the reviewer should listen
    lufs_in: float  # integrated loudness of the original (before trim and gain)
    lufs_out: float  # of the playback copy
    peak_out: float  # true peak of the playback copy, dBTP
    gain_db: float  # the one linear gain applied
    peak_limited: bool  # the peak ceiling, not the loudness target, set the gain
    playback_bytes: int
    format_name: str  # of the original, from the probe
    codec: str


def gain_for(loudness: ffmpeg.Loudness) -> tuple[float, bool]:
    """The one gain: to −16 LUFS, unless that would put the sample peak above −1 dBFS.

    >>> gain_for(ffmpeg.Loudness(-48.3, -20.0, -20.5, -70.0, 3200))
    (19.5, True)
    >>> gain_for(ffmpeg.Loudness(-9.3, 0.4, 0.0, -60.0, 870))
    (-6.7, False)
    """
    to_target = TARGET_LUFS - loudness.integrated
    to_ceiling = PEAK_CEILING - loudness.sample_peak
    return round(min(to_target, to_ceiling), 2), to_ceiling < to_target


def problems(out: ffmpeg.Loudness, peak_limited: bool, expected_ms: int | None = None
             ) -> list[str]:
    """What is wrong with a playback copy's measurement (empty: it passes); ``expected_ms``,
    the length of what was encoded, catches an encoder that dropped part of the clip.

    >>> problems(ffmpeg.Loudness(-16.4, -0.9, -1.0, -70.0, 800), False)
    []
    >>> problems(ffmpeg.Loudness(-18.2, -0.2, -1.0, -70.0, 800), False)
    ['true peak -0.2 dBTP above -0.5', 'loudness -18.2 LUFS off -16 by more than 1 LU']
    >>> problems(ffmpeg.Loudness(-18.2, -0.9, -1.0, -70.0, 800), True)
    []
    >>> problems(ffmpeg.Loudness(-16.0, -0.9, -1.0, -70.0, 500), False, expected_ms=800)
    ['the playback copy lasts 500 ms instead of 800']
    """
    found = []
    if out.duration_ms <= 0:
        found.append("the playback copy decodes to nothing")
    elif expected_ms is not None and abs(out.duration_ms - expected_ms) > LENGTH_SLACK_MS:
        found.append(f"the playback copy lasts {out.duration_ms} ms instead of {expected_ms}")
    if out.true_peak > TRUE_PEAK_LIMIT:
        found.append(f"true peak {out.true_peak:g} dBTP above {TRUE_PEAK_LIMIT:g}")
    if not peak_limited and abs(out.integrated - TARGET_LUFS) > TOLERANCE_LU:
        found.append(f"loudness {out.integrated:g} LUFS off {TARGET_LUFS:g} by more than "
                     f"{TOLERANCE_LU:g} LU")
    return found


def process(original: Path, workdir: Path, *, word: bool) -> Processed:
    """Make the playback copy of ``original`` in ``workdir`` (``play.p1.mp3``) and measure
    it; ``word`` clips (headwords) are trimmed, sentences never (an aligner may need their
    timing). Raises ``AudioRefused`` with one of ``REASONS``. Whatever happens, the only file
    this leaves in ``workdir`` is the playback copy of a success."""
    workdir.mkdir(parents=True, exist_ok=True)
    canon, cut, play = workdir / "canon.wav", workdir / "trimmed.wav", workdir / PLAYBACK_NAME
    done = False
    try:
        found = ffmpeg.probe(original)
        original_ms = ffmpeg.decode(original, canon, DECODE_SECONDS)
        if original_ms < MIN_MS:
            raise AudioRefused("too_short", f"the recording holds {original_ms / 1000:.2f} s of "
                               f"sound; at least {MIN_MS / 1000:g} s is needed")
        if original_ms > MAX_MS:
            raise AudioRefused("too_long", f"the recording is longer than {MAX_MS // 1000} s; "
                               "please record one word or one sentence per clip")
        before = ffmpeg.measure(canon)
        if before.integrated < NO_SPEECH_LUFS:
            raise AudioRefused("no_speech", "no speech could be heard in the recording "
                               f"({before.integrated:g} LUFS)")
        source, loud, trimmed_ms, fallback = canon, before, 0, False
        if word:
            cutting = ffmpeg.trim(canon, cut, before)
            source, trimmed_ms, fallback = cut, cutting.trimmed_ms, cutting.fallback
            if cutting.trimmed_ms:  # the gain is set on what will be heard
                loud = ffmpeg.measure(cut)
        gain, limited = gain_for(loud)
        size = ffmpeg.encode_mp3(source, play, gain)
        out = ffmpeg.measure(play)
        if out.true_peak > TRUE_PEAK_LIMIT:
            gain, limited = round(gain - (out.true_peak - PEAK_CEILING), 2), True
            size = ffmpeg.encode_mp3(source, play, gain)
            out = ffmpeg.measure(play)
        wrong = problems(out, limited, ffmpeg.wav_duration_ms(source))
        if wrong:
            raise AudioRefused("check_failed", "the playback copy failed its check: "
                               + "; ".join(wrong))
        done = True
        return Processed(
            path=play, original_ms=original_ms, duration_ms=out.duration_ms,
            trimmed_ms=trimmed_ms, trim_fallback=fallback, lufs_in=before.integrated,
            lufs_out=out.integrated, peak_out=out.true_peak, gain_db=gain, peak_limited=limited,
            playback_bytes=size, format_name=found.format_name, codec=found.codec)
    finally:
        for scratch in (canon, cut) if done else (canon, cut, play):
            scratch.unlink(missing_ok=True)
