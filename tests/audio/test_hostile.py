"""Hostile files (issue 13 §5) through the real probe and pipeline: each is refused with the
right reason or made harmless, leaves nothing behind but an accepted clip's playback copy,
never reaches another file or the network, and no ffmpeg run outlives its timeout. Upload
size, file names and double submits are the intake's (tested with the upload views)."""
from __future__ import annotations

import hashlib
import shutil
import socket
import time
from pathlib import Path

import audio_samples as audio_fx
import pytest

from dictionary.audio import ffmpeg, pipeline
from dictionary.audio.ffmpeg import AudioRefused
from dictionary.audio.pipeline import PLAYBACK_NAME, process

audio_fixtures = audio_fx.audio_fixtures  # the session fixture, made once per process


@pytest.fixture
def timed_runs(monkeypatch) -> list[tuple[str, float, float]]:
    """Every ffmpeg/ffprobe run of the test as (tool, seconds, its timeout): the real
    ``run``, only timed."""
    runs: list[tuple[str, float, float]] = []
    real = ffmpeg.run

    def timed(args, timeout=ffmpeg.DEFAULT_TIMEOUT, **kwargs):
        started = time.monotonic()
        try:
            return real(args, timeout, **kwargs)
        finally:
            runs.append((args[0], time.monotonic() - started, timeout))

    monkeypatch.setattr(ffmpeg, "run", timed)
    return runs


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(audio_fx.HOSTILE))
def test_each_hostile_file_is_refused_or_neutralised(name, audio_fixtures, tmp_path, timed_runs):
    expected = audio_fx.HOSTILE[name]
    source = tmp_path / audio_fixtures[name].name  # keeps the extension it lies with
    shutil.copyfile(audio_fixtures[name], source)
    before = sha(source)
    work = tmp_path / "work"

    started = time.monotonic()
    if expected is None:
        done = process(source, work, word=True)
        assert sorted(p.name for p in work.iterdir()) == [PLAYBACK_NAME]
        played = ffmpeg.probe(done.path)
        assert (played.format_name, played.codec, played.channels, played.sample_rate) == (
            "mp3", "mp3", 1, 32000)
        assert done.peak_out <= -0.5
        assert done.peak_limited or abs(done.lufs_out + 16) <= 1
    else:
        with pytest.raises(AudioRefused) as refused:
            process(source, work, word=True)
        assert refused.value.reason == expected
        assert refused.value.reason in pipeline.REASONS
        assert refused.value.message and refused.value.message.isascii()
        assert list(work.iterdir()) == []  # nothing written that could be published
    elapsed = time.monotonic() - started

    # No run outlived its timeout (the whole job is far inside one), none is left running,
    # and the original was only read.
    assert timed_runs and all(seconds < timeout for _tool, seconds, timeout in timed_runs)
    assert elapsed < ffmpeg.DEFAULT_TIMEOUT
    assert audio_fx.child_processes() == []
    assert sha(source) == before

    # The intake probes the upload under a name without extension: the same verdict.
    bare = tmp_path / "upload"
    shutil.copyfile(source, bare)
    try:
        named = ffmpeg.probe(source).format_name
    except AudioRefused as exc:
        named = exc.reason
    try:
        unnamed = ffmpeg.probe(bare).format_name
    except AudioRefused as exc:
        unnamed = exc.reason
    assert named == unnamed


@pytest.mark.parametrize("name", ["png_as_wav", "hls_local", "hls_url", "ffconcat"])
def test_playlists_and_images_stop_at_the_format_allowlist(name, audio_fixtures):
    with pytest.raises(AudioRefused) as refused:
        ffmpeg.probe(audio_fixtures[name])
    assert "not on whitelist" in refused.value.detail


def test_the_decode_refuses_what_the_probe_let_through(audio_fixtures, tmp_path):
    """Defence in depth: were the probe skipped, the decode's own allowlists still hold —
    a playlist is not opened and a video decoder is never started."""
    with pytest.raises(AudioRefused) as refused:
        ffmpeg.decode(audio_fixtures["hls_local"], tmp_path / "a.wav")
    assert refused.value.reason == "undecodable" and "whitelist" in refused.value.detail
    # The MP4 with a video track: only its audio is decoded, h264 refused by the allowlist.
    assert ffmpeg.decode(audio_fixtures["video_mp4"], tmp_path / "b.wav") > 0


def test_a_playlist_naming_a_url_never_reaches_the_network(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        playlist = tmp_path / "remote.mp3"
        playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n"
                            f"http://127.0.0.1:{port}/clip.mp3\n#EXT-X-ENDLIST\n")
        with pytest.raises(AudioRefused):
            process(playlist, tmp_path / "work", word=True)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody called


def test_the_mp3_with_a_zip_appended_is_served_only_as_its_reencode(audio_fixtures, tmp_path):
    source = audio_fixtures["mp3_with_zip"]
    assert b"PK\x03\x04" in source.read_bytes()
    done = process(source, tmp_path / "work", word=True)
    played = done.path.read_bytes()
    assert b"PK\x03\x04" not in played and b"escape.txt" not in played
    assert done.format_name == "mp3" and 300 < done.duration_ms < 900


def test_eight_channels_at_384_khz_are_downmixed(audio_fixtures, tmp_path):
    found = ffmpeg.probe(audio_fixtures["ch8_384k"])
    assert (found.channels, found.sample_rate) == (8, 384000)
    done = process(audio_fixtures["ch8_384k"], tmp_path / "work", word=True)
    assert abs(done.original_ms - 812) <= 2
    assert ffmpeg.probe(done.path).channels == 1


def test_refusals_say_what_is_wrong(audio_fixtures, tmp_path):
    messages = {}
    for name in ("empty", "video_mp4", "wav_44_bytes", "silence_2h_flac", "digital_silence"):
        with pytest.raises(AudioRefused) as refused:
            process(audio_fixtures[name], tmp_path / name, word=False)
        messages[name] = refused.value.message
    assert "not a sound recording" in messages["empty"]
    assert "video" in messages["video_mp4"]
    assert "0.00 s" in messages["wav_44_bytes"] and "0.3 s" in messages["wav_44_bytes"]
    assert "60 s" in messages["silence_2h_flac"]
    assert "no speech" in messages["digital_silence"]


def test_a_file_name_with_a_colon_is_only_a_file_name(audio_fixtures, tmp_path, monkeypatch):
    """``concat:a|b`` or ``http:x`` as a relative name would pick a protocol; ours are
    always read through ``file:``."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(audio_fixtures["vi_word"], tmp_path / "concat:word.wav")
    done = process(Path("concat:word.wav"), Path("work"), word=True)
    assert done.format_name == "wav" and (tmp_path / "work" / PLAYBACK_NAME).is_file()
