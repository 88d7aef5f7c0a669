"""Audio fixtures made at test time: the recordings curators send, and files that attack.

Where it sits: test support for ``dictionary.audio`` (``test_pipeline``, ``test_hostile``,
``bench/audio_bench.py``; other audio tests may use them). Nothing is downloaded. All
"speech" is SYNTHETIC: espeak-ng reading VIETNAMESE (``-v vi``), or ffmpeg's lavfi tones and
noise. None of it is, or pretends to be, Hrê or Co speech: those come only from people.

``make_good(folder)`` / ``make_hostile(folder)`` write the files and return name → path;
``GOOD`` says how each good clip is processed (word or sentence) and what it imitates,
``HOSTILE`` what must happen to each attack (the refusal reason, or ``None``: accepted,
made harmless). The session fixture ``audio_fixtures`` makes both sets once per test
session (once per xdist worker), ≈ 4 s.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

TIMEOUT = 60
WORD_TEXT = "xin chào"  # Vietnamese: "hello"
# "The weather is fine today, let's go to school."
SENTENCE_TEXT = "Hôm nay trời đẹp, chúng ta đi học nhé."

# name → (word clip?, what it imitates)
GOOD: dict[str, tuple[bool, str]] = {
    "vi_word": (True, "espeak-ng Vietnamese word, 22.05 kHz, peaks at 0 dBFS"),
    "vi_sentence": (False, "espeak-ng Vietnamese sentence, 2.5 s"),
    "quiet_stereo": (False, "quiet stereo 48 kHz WAV (speech at −28 dB) over pink noise, 3.2 s"),
    "hot_clipped": (True, "hot, clipped 44.1 kHz word (+12 dB into 16 bits)"),
    "chrome_webm": (False, "Chrome-like WebM/Opus written through a pipe: no duration"),
    "safari_m4a": (False, "Safari-like fragmented MP4/AAC (empty moov)"),
    "padded_word": (True, "word with 0.7 s of low noise before and 0.9 s after: to trim"),
    "sine": (True, "lavfi sine 440 Hz, 1 s, as FLAC"),
    "short_tone": (True, "0.35 s tone: shorter than one 0.4 s loudness gating block"),
}
# name → expected refusal reason, or None when the file is accepted and neutralised
HOSTILE: dict[str, str | None] = {
    "text_as_mp3": "not_audio",
    "png_as_wav": "not_audio",
    "zip_as_m4a": "not_audio",
    "mp3_with_zip": None,  # accepted: only the re-encode is ever served
    "hls_local": "not_audio",
    "hls_url": "not_audio",
    "ffconcat": "not_audio",
    "silence_2h_flac": "too_long",  # 1.3 MB; decoding stops at 61 s
    "silence_2h_opus": "too_long",  # 2.7 MB
    "truncated_mp3": None,  # accepted with the decoded length, not the claimed 4 s
    "truncated_mp3_stub": "too_short",  # claims 2.5 s, holds less than 0.3 s
    "wav_44_bytes": "too_short",  # header only: decodes to 0 s with exit 0
    "empty": "not_audio",
    "video_mp4": "video",
    "ch8_384k": None,  # 8 channels at 384 kHz: downmixed to mono 48 kHz
    "digital_silence": "no_speech",
}


def _run(args: list[str], stdout=subprocess.DEVNULL) -> None:
    done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args}: exit {done.returncode}: {done.stderr.decode()[-800:]}")


def _ffmpeg(*args: str, stdout=subprocess.DEVNULL) -> None:
    _run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args], stdout)


def espeak_vi(text: str, out: Path) -> Path:
    """Vietnamese text read by espeak-ng (a machine voice: Vietnamese only, never Hrê/Co)."""
    _run(["espeak-ng", "-v", "vi", "-w", str(out), text])
    return out


def make_good(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {"vi_word": espeak_vi(WORD_TEXT, folder / "vi_word.wav"),
           "vi_sentence": espeak_vi(SENTENCE_TEXT, folder / "vi_sentence.wav")}
    word, sentence = str(out["vi_word"]), str(out["vi_sentence"])
    noise = "anoisesrc=color=pink:amplitude=0.004:sample_rate=48000:seed=7:duration="

    out["quiet_stereo"] = folder / "quiet_stereo.wav"
    _ffmpeg("-i", sentence, "-f", "lavfi", "-i", noise + "3.2", "-filter_complex",
            "[0:a]aresample=48000,volume=-28dB,adelay=400:all=1,apad[s];"
            "[s][1:a]amix=inputs=2:duration=shortest:normalize=0,"
            "pan=stereo|c0=c0|c1=0.9*c0[o]", "-map", "[o]", "-c:a", "pcm_s16le",
            str(out["quiet_stereo"]))

    out["hot_clipped"] = folder / "hot_clipped.wav"
    _ffmpeg("-i", word, "-af", "aresample=44100,volume=12dB:precision=fixed",
            "-c:a", "pcm_s16le", str(out["hot_clipped"]))

    # A microphone without auto gain: quiet speech over room noise, as MediaRecorder sends it.
    quiet = ("[0:a]aresample=48000,volume=-30dB,adelay=300:all=1,apad[s];"
             "[s][1:a]amix=inputs=2:duration=shortest:normalize=0[o]")
    out["chrome_webm"] = folder / "chrome_webm.webm"
    with open(out["chrome_webm"], "wb") as pipe_out:  # written through a pipe: no duration
        _ffmpeg("-i", sentence, "-f", "lavfi", "-i", noise + "3.0", "-filter_complex", quiet,
                "-map", "[o]", "-c:a", "libopus", "-b:a", "32k", "-f", "webm", "pipe:1",
                stdout=pipe_out)
    out["safari_m4a"] = folder / "safari_m4a.m4a"
    _ffmpeg("-i", sentence, "-f", "lavfi", "-i", noise + "3.0", "-filter_complex", quiet,
            "-map", "[o]", "-c:a", "aac", "-b:a", "64k", "-movflags", "frag_keyframe+empty_moov",
            "-f", "mp4", str(out["safari_m4a"]))

    out["padded_word"] = folder / "padded_word.wav"
    _ffmpeg("-i", word, "-f", "lavfi", "-i", "anoisesrc=color=white:amplitude=0.0005:"
            "sample_rate=48000:seed=3:duration=2.4", "-filter_complex",
            "[0:a]aresample=48000,adelay=700:all=1,apad[s];"
            "[s][1:a]amix=inputs=2:duration=shortest:normalize=0[o]", "-map", "[o]",
            "-c:a", "pcm_s16le", str(out["padded_word"]))

    out["sine"] = folder / "sine.flac"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
            "-c:a", "flac", str(out["sine"]))
    out["short_tone"] = folder / "short_tone.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000:duration=0.35",
            "-af", "volume=-12dB", "-c:a", "pcm_s16le", str(out["short_tone"]))
    return out


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "not audio " * 200)
        archive.writestr("../../escape.txt", "a path that climbs out")
    return buffer.getvalue()


def make_hostile(folder: Path, good: dict[str, Path] | None = None) -> dict[str, Path]:
    """The attacks of issue 13 §5 that reach the processing (size, file names and double
    submits are the intake's, tested there). Each file carries the extension it lies with."""
    folder.mkdir(parents=True, exist_ok=True)
    good = good or make_good(folder / "good")
    out: dict[str, Path] = {}

    def write(name: str, filename: str, data: bytes | str) -> Path:
        path = folder / filename
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        out[name] = path
        return path

    write("text_as_mp3", "notes.mp3", "This is a shopping list, not a recording.\n" * 20)
    png = folder / "picture.png"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1", str(png))
    out["png_as_wav"] = png.rename(folder / "picture.wav")
    write("zip_as_m4a", "archive.m4a", _zip_bytes())

    word_mp3 = folder / "word.mp3"
    _ffmpeg("-i", str(good["vi_word"]), "-c:a", "libmp3lame", "-q:a", "4", str(word_mp3))
    write("mp3_with_zip", "polyglot.mp3", word_mp3.read_bytes() + _zip_bytes())

    # Playlists that would make a reader open other files or reach the network.
    write("hls_local", "playlist_local.mp3",
          "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-VERSION:3\n#EXTINF:1.0,\n"
          f"file://{word_mp3}\n#EXTINF:1.0,\n/etc/passwd\n#EXT-X-ENDLIST\n")
    write("hls_url", "playlist_url.m4a",
          "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n"
          "http://127.0.0.1:9/stolen.mp3\n#EXT-X-ENDLIST\n")
    write("ffconcat", "list.wav", f"ffconcat version 1.0\nfile '{word_mp3}'\nfile '/etc/passwd'\n")

    # Two hours of silence in a small file: FLAC directly (fast at 8 kHz), Opus by looping
    # ten encoded seconds without re-encoding (encoding 2 h of Opus takes ~45 s).
    out["silence_2h_flac"] = folder / "silence_2h.flac"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "7200", "-c:a", "flac",
            str(out["silence_2h_flac"]))
    ten = folder / "silence_10s.opus"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "10", "-c:a", "libopus",
            "-b:a", "6k", str(ten))
    out["silence_2h_opus"] = folder / "silence_2h.opus"
    _ffmpeg("-stream_loop", "719", "-i", str(ten), "-c", "copy", str(out["silence_2h_opus"]))
    ten.unlink()

    # Truncated MP3s: the first part of a 2.5 s sentence; the header's frame count still
    # claims the whole length.
    long_mp3 = folder / "sentence.mp3"
    _ffmpeg("-i", str(good["vi_sentence"]), "-c:a", "libmp3lame", "-b:a", "64k", str(long_mp3))
    data = long_mp3.read_bytes()
    write("truncated_mp3", "truncated.mp3", data[: len(data) * 2 // 5])
    write("truncated_mp3_stub", "stub.mp3", data[:1200])
    long_mp3.unlink()

    write("wav_44_bytes", "header_only.wav",
          b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
          + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
          + (44100).to_bytes(4, "little") + (88200).to_bytes(4, "little")
          + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
          + b"data" + (0).to_bytes(4, "little"))
    write("empty", "empty.mp3", b"")

    out["video_mp4"] = folder / "clip.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=2", "-i",
            str(good["vi_word"]), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
            str(out["video_mp4"]))

    out["ch8_384k"] = folder / "eight_channels.wav"
    _ffmpeg("-i", str(good["vi_word"]), "-af",
            "aresample=384000,pan=7.1|c0=c0|c1=c0|c2=0.5*c0|c3=0*c0|c4=0.3*c0|c5=0.3*c0"
            "|c6=0*c0|c7=0*c0",
            "-c:a", "pcm_s16le", str(out["ch8_384k"]))

    out["digital_silence"] = folder / "silence.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "2", "-c:a", "pcm_s16le",
            str(out["digital_silence"]))
    return out


def make_all(folder: Path) -> dict[str, Path]:
    good = make_good(folder / "good")
    return {**good, **make_hostile(folder / "hostile", good)}


def child_processes() -> list[int]:
    """ffmpeg/ffprobe (or nice) processes still running under this process: none should be."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            name, rest = text.split("(", 1)[1].rsplit(")", 1)
            parent = int(rest.split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if parent == os.getpid() and name in ("ffmpeg", "ffprobe", "nice"):
            found.append(int(stat.parent.name))
    return found


_made: dict[str, Path] = {}


@pytest.fixture(scope="session")
def audio_fixtures(tmp_path_factory) -> dict[str, Path]:
    """name → path of every good and hostile fixture (``GOOD``, ``HOSTILE``), made once per
    process even when several test modules bind this fixture. Shared: copy before changing."""
    if not (shutil.which("ffmpeg") and shutil.which("espeak-ng")):
        raise RuntimeError("the audio tests need ffmpeg and espeak-ng (make test installs them)")
    if not _made or not all(path.exists() for path in _made.values()):
        _made.clear()
        _made.update(make_all(tmp_path_factory.mktemp("audio-fixtures")))
    return dict(_made)
