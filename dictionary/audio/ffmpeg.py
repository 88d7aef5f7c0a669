"""ffprobe and ffmpeg on recordings: allowlists, probe, canonical decode, meter, trim, MP3.

Where it sits: the bottom of the audio processing (no Flask, no database: paths in,
figures out). ``intake.accept`` calls ``probe`` synchronously on an upload;
``pipeline.process`` strings ``decode → measure → trim → measure → encode_mp3 → measure``
together in the worker.
Every run goes through ``run``: a list of arguments (no shell), stdin closed, a timeout, under
``nice``, and its exit code checked by the caller. Reading a file is confined by three
allowlists (audio.md §3.3): only the ``file`` protocol (no HLS/concat reaching out to other
files or URLs), only audio container formats, only audio decoders.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass, replace
from pathlib import Path

# The containers MediaRecorder, phones and field recorders produce; anything else (HLS,
# ffconcat, image pipes, raw video…) is refused by the demuxer before it opens a thing.
FORMAT_WHITELIST = "wav,mp3,ogg,matroska,webm,mov,mp4,m4a,3gp,flac,aac,amr,caf"
# Audio decoders only: a video stream's decoder is never even opened by the decode.
CODEC_WHITELIST = ("aac,mp3,mp3float,opus,vorbis,flac,alac,amrnb,amrwb,"
                   "pcm_s16le,pcm_s24le,pcm_s32le,pcm_f32le,pcm_u8")
PROTOCOL_WHITELIST = "file"
CANON_RATE = 48000  # the canonical WAV: mono, 48 kHz, s16 (also the meter's native rate)
DEFAULT_TIMEOUT = 30.0  # seconds; a 61 s clip takes well under 2 s at every step
PROBE_TIMEOUT = 10.0  # the probe runs inside an upload request
NICE = 10
NO_SIGNAL_DB = -90.0  # what "-inf" (digital silence) counts as: below 16-bit's floor

# What every input is opened with (our own intermediate files too: one rule, no exceptions).
_INPUT_GUARDS = ("-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST)
_DECODE_GUARDS = (*_INPUT_GUARDS, "-codec_whitelist", CODEC_WHITELIST)
_FFMPEG = ("-nostdin", "-hide_banner")


class AudioRefused(Exception):
    """A file that cannot become a playback copy. ``reason`` is a stable code the pages
    translate (not_audio, video, too_short, too_long, no_speech, undecodable, timeout,
    check_failed); ``message`` is plain English for curators and logs; ``detail`` is
    ffmpeg's own last words, for developers only."""

    def __init__(self, reason: str, message: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {message}" + (f" ({detail})" if detail else ""))
        self.reason, self.message, self.detail = reason, message, detail


class ToolMissing(RuntimeError):
    """ffmpeg/ffprobe is not installed: a server problem, not the file's (the job retries)."""


@dataclass(frozen=True)
class Probe:
    format_name: str  # ffprobe's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # of the first audio stream
    channels: int
    sample_rate: int
    duration: float | None  # seconds, as the container claims (None: unknown; may lie)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS (EBU R128 gated; ffmpeg prints −70 when nothing passes the gate)
    true_peak: float  # dBTP
    sample_peak: float  # dBFS
    noise_floor: float  # dBFS; −90 (NO_SIGNAL_DB) for digital silence, peaks too
    duration_ms: int  # decoded, counted in samples


@dataclass(frozen=True)
class TrimResult:
    trimmed_ms: int  # removed by trimming (0 when the guard kept the untrimmed clip)
    fallback: bool  # trimming left < 0.15 s: the untrimmed clip was kept, flag for review
    duration_ms: int  # of the file written
    threshold_db: float


def _file(path: Path) -> str:
    """A path as ffmpeg must read it: always through the file protocol, so a name holding a
    colon (``http:x``, ``concat:a|b``) can never select another protocol."""
    return "file:" + str(Path(path).absolute())


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])[:500]


def run(args: list[str], timeout: float = DEFAULT_TIMEOUT, *,
        fail: str | None = "undecodable") -> subprocess.CompletedProcess[str]:
    """Run ``args`` (``args[0]`` a tool name, looked up on PATH) and return the completed
    process with its text output. Past ``timeout`` the process is killed and ``AudioRefused
    ("timeout")`` raised; a non-zero exit raises ``AudioRefused(fail)`` unless ``fail`` is
    None (the caller then reads ``returncode`` itself)."""
    tool = shutil.which(args[0])
    if tool is None:
        raise ToolMissing(f"{args[0]} is not installed (apt-get install ffmpeg)")
    command = [tool, *args[1:]]
    nice = shutil.which("nice")
    if nice:  # encoding must not starve the web server on a 2-core machine
        command = [nice, "-n", str(NICE), *command]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed and reaped the child
        raise AudioRefused("timeout", f"processing took longer than {timeout:g} seconds",
                           args[0]) from None
    result = subprocess.CompletedProcess(
        command, done.returncode, done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"))
    if fail is not None and result.returncode != 0:
        raise AudioRefused(fail, "the file could not be read as audio", _tail(result.stderr))
    return result


def probe(path: Path, timeout: float = PROBE_TIMEOUT) -> Probe:
    """What ``path`` is, by its content (never its name): ``AudioRefused`` ``not_audio`` for
    anything that is not an allowed audio container with an audio stream, ``video`` when it
    carries a moving picture (a cover picture in an MP3 or M4A is fine)."""
    done = run(["ffprobe", "-v", "error", *_INPUT_GUARDS,
                "-show_entries", "format=format_name,duration:stream=codec_type,codec_name,"
                "channels,sample_rate:stream_disposition=attached_pic",
                "-of", "json", _file(path)], timeout, fail=None)
    if done.returncode != 0:
        raise AudioRefused("not_audio", "this file is not a sound recording in a format we "
                           "accept", _tail(done.stderr))
    return parse_probe(done.stdout)


def parse_probe(text: str) -> Probe:
    """``Probe`` from ffprobe's JSON.

    >>> parse_probe('{"streams": [{"codec_type": "audio", "codec_name": "opus", "channels": 1,'
    ...             ' "sample_rate": "48000"}], "format": {"format_name": "matroska,webm"}}')
    Probe(format_name='matroska,webm', codec='opus', channels=1, sample_rate=48000, duration=None)
    """
    try:
        data = json.loads(text)
    except ValueError:
        raise AudioRefused("not_audio", "this file is not a sound recording in a format we "
                           "accept", "unreadable probe output") from None
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    moving = [s for s in streams if s.get("codec_type") == "video"
              and not (s.get("disposition") or {}).get("attached_pic")]
    if moving:
        raise AudioRefused("video", "this file is a video; please upload the sound only",
                           moving[0].get("codec_name", ""))
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        raise AudioRefused("not_audio", "this file has no sound in it", fmt.get("format_name", ""))
    first = audio[0]
    return Probe(format_name=str(fmt.get("format_name", "")),
                 codec=str(first.get("codec_name", "")), channels=_int(first.get("channels")),
                 sample_rate=_int(first.get("sample_rate")), duration=_float(fmt.get("duration")))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None  # "N/A": Chrome's WebM never states a duration
    return number if math.isfinite(number) and number >= 0 else None


def wav_duration_ms(path: Path) -> int:
    """Length of a PCM WAV we wrote, from its header (ffmpeg fixes the sizes on close)."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate = w.getnframes(), w.getframerate()
    except (wave.Error, EOFError, OSError):
        return 0
    return frames * 1000 // rate if rate else 0


def decode(src: Path, dst_wav: Path, max_seconds: float = 61, *,
           timeout: float = DEFAULT_TIMEOUT) -> int:
    """Decode the first audio stream of ``src`` to the canonical WAV (mono, 48 kHz, s16,
    no metadata), reading at most ``max_seconds``; return its length in ms. The length comes
    from what was decoded, not from the container: a truncated MP3 claims 4 s and holds
    0.6 s, a header-only WAV decodes to 0 s with exit 0, Chrome's WebM states none."""
    run(["ffmpeg", *_FFMPEG, "-v", "error", *_DECODE_GUARDS, "-t", f"{max_seconds:g}",
         "-i", _file(src), "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
         "-ac", "1", "-ar", str(CANON_RATE), "-c:a", "pcm_s16le", "-y", _file(dst_wav)], timeout)
    if not dst_wav.is_file():
        raise AudioRefused("undecodable", "the file could not be read as audio", "no output")
    return wav_duration_ms(dst_wav)


# The meter: resampled to 48 kHz first so astats' sample count is a duration; ebur128 prints
# per-frame lines only at the verbose level, so stderr holds just the two summaries.
MEASURE_FILTER = ("aresample=48000,ebur128=peak=sample+true:framelog=verbose,"
                  "astats=measure_perchannel=none:measure_overall="
                  "Peak_level+Noise_floor+Number_of_samples")


GATE_BLOCK_MS = 400  # EBU R128's gating block: a shorter clip has no integrated loudness


def measure(path: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Loudness:
    """Loudness, peaks, noise floor and decoded length of ``path`` in one ffmpeg run (two
    for a clip under 0.4 s: ebur128 reports −70 LUFS, "nothing", for a clip shorter than one
    gating block, so a short syllable would read as silence. Its loudness is then measured
    on the clip played back to back — the same mean power — and its peaks on the clip alone.)"""
    def once(loops: int) -> Loudness:
        looping = ["-stream_loop", str(loops)] if loops else []
        done = run(["ffmpeg", *_FFMPEG, "-nostats", *_DECODE_GUARDS, *looping, "-i", _file(path),
                    "-af", MEASURE_FILTER, "-f", "null", "-"], timeout, fail=None)
        return parse_measure(done.stderr, done.returncode)

    alone = once(0)
    if 0 < alone.duration_ms < GATE_BLOCK_MS:
        looped = once(math.ceil(3 * GATE_BLOCK_MS / alone.duration_ms))
        return replace(alone, integrated=looped.integrated)
    return alone


_NUMBER = r"(-?inf|[-+]?\d+(?:\.\d+)?)"
_SUMMARY = {
    "integrated": re.compile(r"Integrated loudness:\s*\n\s*I:\s*" + _NUMBER + r" LUFS"),
    "true_peak": re.compile(r"True peak:\s*\n\s*Peak:\s*" + _NUMBER + r" dBFS"),
}
_ASTATS = {
    "sample_peak": re.compile(r"\] Peak level dB: " + _NUMBER),
    "noise_floor": re.compile(r"\] Noise floor dB: " + _NUMBER),
    "samples": re.compile(r"\] Number of samples: (\d+)"),
}


def _db(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)


def parse_measure(stderr: str, returncode: int = 0) -> Loudness:
    """``Loudness`` from the stderr of ``measure``'s run. Everything must be there and the
    run must have succeeded: a bad filter option still prints an all-zero ebur128 summary
    (LD's meter once read that as −20 LUFS for every clip), so a partial or failed output is
    an error, never a figure.

    >>> silence = parse_measure('''[Parsed_astats_2 @ 0x1] Overall
    ... [Parsed_astats_2 @ 0x1] Peak level dB: -inf
    ... [Parsed_astats_2 @ 0x1] Noise floor dB: -inf
    ... [Parsed_astats_2 @ 0x1] Number of samples: 48000
    ... [Parsed_ebur128_1 @ 0x2] Summary:
    ...   Integrated loudness:
    ...     I:         -70.0 LUFS
    ...   Sample peak:
    ...     Peak:       -inf dBFS
    ...   True peak:
    ...     Peak:       -inf dBFS''')
    >>> silence.integrated, silence.true_peak, silence.noise_floor, silence.duration_ms
    (-70.0, -90.0, -90.0, 1000)
    """
    if returncode != 0:
        raise AudioRefused("undecodable", "the file could not be measured", _tail(stderr))
    _, marker, summary = stderr.rpartition("Summary:")
    found: dict[str, str] = {}
    for key, pattern in _SUMMARY.items():
        match = pattern.search(summary) if marker else None
        if match:
            found[key] = match.group(1)
    for key, pattern in _ASTATS.items():
        matches = pattern.findall(stderr)
        if matches:
            found[key] = matches[-1]
    missing = sorted({"integrated", "true_peak", "sample_peak", "noise_floor", "samples"}
                     - found.keys())
    if missing:
        raise AudioRefused("undecodable", "the file could not be measured",
                           "meter output lacks " + ", ".join(missing))
    floor = lambda value: max(_db(value), NO_SIGNAL_DB)  # noqa: E731  (-inf → −90)
    return Loudness(integrated=float(found["integrated"]), true_peak=floor(found["true_peak"]),
                    sample_peak=floor(found["sample_peak"]),
                    noise_floor=floor(found["noise_floor"]),
                    duration_ms=int(found["samples"]) * 1000 // CANON_RATE)


MIN_TRIMMED_MS = 150  # the guard: a trim leaving less than this kept nothing worth hearing


def trim_threshold(loudness: Loudness) -> float:
    """Silence threshold of a clip, in the frame it was measured in (before any gain): 6 dB
    over its noise floor or 20 dB under its loudness, whichever is lower, clamped to
    −70…−30 dB.

    >>> trim_threshold(Loudness(-48.3, -20.0, -21.0, -72.5, 3200))
    -68.3
    >>> trim_threshold(Loudness(-20.0, -1.0, -1.0, -90.0, 800))
    -70.0
    """
    value = min(loudness.noise_floor + 6, loudness.integrated - 20)
    return round(min(max(value, -70.0), -30.0), 1)


def trim(src_wav: Path, dst_wav: Path, loudness: Loudness, *,
         timeout: float = DEFAULT_TIMEOUT) -> TrimResult:
    """Cut leading and trailing silence from a word clip (keeping 80 ms before and 120 ms
    after the speech) into ``dst_wav``. The guard: when that leaves under 0.15 s — silenceremove
    can return an empty file with exit 0 — ``dst_wav`` is a copy of the untrimmed clip and
    ``fallback`` is set for the reviewer."""
    thr = trim_threshold(loudness)
    edge = ("silenceremove=start_periods=1:start_duration=0:start_threshold={t}dB:"
            "start_silence={keep}:detection=rms")
    chain = ",".join([edge.format(t=thr, keep=0.08), "areverse",
                      edge.format(t=thr, keep=0.12), "areverse"])
    run(["ffmpeg", *_FFMPEG, "-v", "error", *_DECODE_GUARDS, "-i", _file(src_wav), "-af", chain,
         "-c:a", "pcm_s16le", "-y", _file(dst_wav)], timeout)
    before = wav_duration_ms(src_wav)
    after = wav_duration_ms(dst_wav) if dst_wav.is_file() else 0
    if after < MIN_TRIMMED_MS:
        shutil.copyfile(src_wav, dst_wav)
        return TrimResult(trimmed_ms=0, fallback=True, duration_ms=before, threshold_db=thr)
    return TrimResult(trimmed_ms=max(before - after, 0), fallback=False, duration_ms=after,
                      threshold_db=thr)


MP3_ARGS = ("-c:a", "libmp3lame", "-q:a", "6", "-ar", "32000", "-map_metadata", "-1")


def encode_mp3(src_wav: Path, dst_mp3: Path, gain_db: float, *,
               timeout: float = DEFAULT_TIMEOUT) -> int:
    """The playback copy: one linear gain (no limiter, no loudnorm), MP3 VBR V6 at 32 kHz —
    plays in every browser, old iPhones included. Returns its size in bytes."""
    run(["ffmpeg", *_FFMPEG, "-v", "error", *_DECODE_GUARDS, "-i", _file(src_wav),
         "-af", f"volume={gain_db:.2f}dB", *MP3_ARGS, "-f", "mp3", "-y", _file(dst_mp3)], timeout)
    size = dst_mp3.stat().st_size if dst_mp3.is_file() else 0
    if size == 0:
        raise AudioRefused("undecodable", "the playback copy could not be made", "empty MP3")
    return size
