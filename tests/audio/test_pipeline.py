"""The processing recipe on real files: every good fixture becomes an MP3 at −16 LUFS (or
peak-limited) under −0.5 dBTP, durations come from the decode, word clips are trimmed with
the guard, and the meter's output is parsed strictly. Real ffmpeg and espeak-ng throughout;
the "speech" is synthetic Vietnamese (audio_samples.py), never Hrê or Co."""
from __future__ import annotations

import array
import shutil
import subprocess
import time
import wave
from pathlib import Path

import audio_samples as audio_fx
import pytest

from dictionary.audio import ffmpeg
from dictionary.audio.ffmpeg import AudioRefused, Loudness
from dictionary.audio.pipeline import PLAYBACK_NAME, Processed, gain_for, process

audio_fixtures = audio_fx.audio_fixtures  # the session fixture, made once per process


def lavfi(out: Path, source: str, *extra: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
                    "-i", source, *extra, "-c:a", "pcm_s16le", str(out)],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=True)
    return out


def active_span_ms(path: Path, threshold: int = 328) -> int:
    """First to last sample above −40 dBFS, read in Python (not by the tool under test)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        rate = w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    loud = [i for i, value in enumerate(samples) if abs(value) > threshold]
    return (loud[-1] - loud[0]) * 1000 // rate


@pytest.mark.parametrize("name", sorted(audio_fx.GOOD))
def test_every_good_clip_becomes_a_normalised_mp3(name, audio_fixtures, tmp_path):
    word, _what = audio_fx.GOOD[name]
    done = process(audio_fixtures[name], tmp_path / "work", word=word)

    assert isinstance(done, Processed)
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == [PLAYBACK_NAME]
    assert done.path == tmp_path / "work" / PLAYBACK_NAME
    assert done.playback_bytes == done.path.stat().st_size > 0
    # The loudness goal of issue 13 §5.
    assert done.peak_out <= -0.5, done
    assert done.peak_limited or abs(done.lufs_out + 16) <= 1.0, done
    assert done.lufs_out <= -15.0, done  # limited clips fall short of the target, never over
    # The playback copy is an MP3 any browser plays, and its figures are its own.
    found = ffmpeg.probe(done.path)
    assert (found.format_name, found.codec, found.channels, found.sample_rate) == (
        "mp3", "mp3", 1, 32000)
    again = ffmpeg.measure(done.path)
    assert (again.integrated, again.true_peak) == (done.lufs_out, done.peak_out)
    assert abs(again.duration_ms - done.duration_ms) <= 1
    # Durations: sentences keep their length (MP3 is gapless here); words lose what was cut.
    if word:
        assert abs(done.original_ms - done.trimmed_ms - done.duration_ms) <= 25, done
    else:
        assert done.trimmed_ms == 0 and not done.trim_fallback
        assert abs(done.original_ms - done.duration_ms) <= 25, done
    assert done.format_name == ffmpeg.probe(audio_fixtures[name]).format_name


def test_durations_come_from_the_decode_not_the_container(audio_fixtures, tmp_path):
    # Chrome's WebM states no duration at all; the decode finds 3 s.
    assert ffmpeg.probe(audio_fixtures["chrome_webm"]).duration is None
    webm = process(audio_fixtures["chrome_webm"], tmp_path / "a", word=False)
    assert abs(webm.original_ms - 3000) <= 25

    # A truncated MP3 still claims the whole sentence in its header.
    cut = audio_fixtures["truncated_mp3"]
    claimed = ffmpeg.probe(cut).duration
    assert claimed is not None and claimed > 2.4
    done = process(cut, tmp_path / "b", word=False)
    assert 300 <= done.original_ms < 1200 and done.duration_ms < 1200

    # decode() itself reports what it wrote: 0 ms for a header-only WAV (exit 0).
    assert ffmpeg.decode(audio_fixtures["wav_44_bytes"], tmp_path / "c.wav") == 0


def test_decoding_stops_after_61_seconds(audio_fixtures, tmp_path):
    assert ffmpeg.probe(audio_fixtures["silence_2h_flac"]).duration == 7200.0
    started = time.monotonic()
    assert ffmpeg.decode(audio_fixtures["silence_2h_flac"], tmp_path / "c.wav") == 61_000
    assert time.monotonic() - started < 5
    assert (tmp_path / "c.wav").stat().st_size < 61 * 48000 * 2 + 1000


def test_trimming_keeps_the_speech_and_at_most_0_3_s_of_pad(audio_fixtures, tmp_path):
    source = audio_fixtures["padded_word"]  # the word 0.7 s in, low noise all along
    canon = tmp_path / "canon.wav"
    assert ffmpeg.decode(source, canon) == 2400
    speech = active_span_ms(canon)
    assert 400 < speech < 900

    result = ffmpeg.trim(canon, tmp_path / "cut.wav", ffmpeg.measure(canon))
    assert not result.fallback
    kept = ffmpeg.wav_duration_ms(tmp_path / "cut.wav")
    assert kept == result.duration_ms == 2400 - result.trimmed_ms
    assert speech <= kept <= speech + 300, (speech, kept)
    assert active_span_ms(tmp_path / "cut.wav") >= speech - 2  # nothing of the word lost

    done = process(source, tmp_path / "work", word=True)
    assert done.trimmed_ms == result.trimmed_ms and not done.trim_fallback
    assert speech <= done.duration_ms <= speech + 300


def test_a_quiet_word_is_trimmed_in_the_frame_it_was_measured_in(audio_fixtures, tmp_path):
    """LD measured the threshold before the gain and applied it after: a quiet clip was
    trimmed not at all. Ours trims a word at −30 dB over −96 dB noise like a loud one."""
    quiet = tmp_path / "quiet.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(audio_fixtures["padded_word"]),
                    "-af", "volume=-30dB", "-c:a", "pcm_s16le", str(quiet)],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=True)
    done = process(quiet, tmp_path / "work", word=True)
    assert done.trimmed_ms > 1400 and not done.trim_fallback
    assert done.gain_db > 20  # the gain came after the trim
    assert done.peak_limited or abs(done.lufs_out + 16) <= 1


def test_sentences_are_never_trimmed(audio_fixtures, tmp_path):
    done = process(audio_fixtures["padded_word"], tmp_path / "work", word=False)
    assert done.trimmed_ms == 0 and not done.trim_fallback
    assert abs(done.duration_ms - 2400) <= 25


def test_the_guard_keeps_the_untrimmed_clip_when_trimming_leaves_nothing(audio_fixtures,
                                                                         tmp_path):
    # Digital silence measured for real: silenceremove empties it (exit 0); the guard keeps it.
    canon = tmp_path / "silence.wav"
    ffmpeg.decode(audio_fixtures["digital_silence"], canon)
    measured = ffmpeg.measure(canon)
    assert (measured.integrated, measured.noise_floor) == (-70.0, -90.0)
    result = ffmpeg.trim(canon, tmp_path / "cut.wav", measured)
    assert result.fallback and result.trimmed_ms == 0 and result.duration_ms == 2000
    assert (tmp_path / "cut.wav").read_bytes() == canon.read_bytes()

    # LD's failure: a threshold from the wrong frame (−30 dB) over a −40 dB tone.
    tone = lavfi(tmp_path / "tone.wav", "sine=frequency=500:sample_rate=48000:duration=1",
                 "-af", "volume=-22dB")
    wrong_frame = Loudness(integrated=-5.0, true_peak=-1.0, sample_peak=-1.0, noise_floor=-5.0,
                           duration_ms=1000)
    assert ffmpeg.trim_threshold(wrong_frame) == -30.0
    result = ffmpeg.trim(tone, tmp_path / "cut2.wav", wrong_frame)
    assert result.fallback and result.duration_ms == 1000
    assert ffmpeg.wav_duration_ms(tmp_path / "cut2.wav") == 1000


def test_a_clip_shorter_than_one_gating_block_is_measured(audio_fixtures, tmp_path):
    """ebur128 says −70 LUFS ("nothing") below 0.4 s; the meter loops such a clip."""
    short = ffmpeg.measure(audio_fixtures["short_tone"])
    longer = ffmpeg.measure(lavfi(tmp_path / "long.wav",
                                  "sine=frequency=300:sample_rate=48000:duration=3",
                                  "-af", "volume=-12dB"))
    assert short.duration_ms == 350
    assert abs(short.integrated - longer.integrated) <= 0.3
    assert abs(short.sample_peak - longer.sample_peak) <= 0.1


def test_an_mp3_that_overshoots_is_encoded_again_with_less_gain(tmp_path):
    # A square-wave burst at −0.45 dBFS over a quiet tone: the gain puts its sample peak at
    # −1 dBFS, and the MP3's ringing then overshoots to about +1 dBTP.
    burst = lavfi(tmp_path / "burst.wav", "aevalsrc='if(lt(t,0.02),0.95*sgn(sin(2*PI*1500*t)),"
                  "0.1*sin(2*PI*300*t))':s=48000:d=1.5")
    source = ffmpeg.measure(burst)
    first_gain, limited = gain_for(source)
    assert limited and source.true_peak > 0
    done = process(burst, tmp_path / "work", word=False)
    assert done.peak_limited and done.gain_db < first_gain - 0.5
    assert -1.3 <= done.peak_out <= -0.5


CAPTURED_OPTION_ERROR = """\
[ebur128 @ 0x5600f13e1400] Unable to parse option value "bogus"
[ebur128 @ 0x5600f13e1400] Error setting option peak to value sample+bogus.
[Parsed_ebur128_0 @ 0x5600f13e1300] Error applying options to the filter.
[AVFilterGraph @ 0x5600f13e0a00] Error initializing filter 'ebur128' with args 'peak=sample+bogus'
[Parsed_ebur128_0 @ 0x5600f13e1300] Summary:

  Integrated loudness:
    I:           0.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  Sample peak:
    Peak:       -inf dBFS
Error reinitializing filters!
Failed to inject frame into filter network: Invalid argument
Conversion failed!
"""


def test_the_parser_reads_captured_output_and_refuses_partial_output(audio_fixtures, tmp_path):
    canon = tmp_path / "canon.wav"
    ffmpeg.decode(audio_fixtures["vi_word"], canon)
    real = ffmpeg.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(canon),
                       "-af", ffmpeg.MEASURE_FILTER, "-f", "null", "-"])
    parsed = ffmpeg.parse_measure(real.stderr)
    assert parsed.duration_ms == 812 and -25 < parsed.integrated < -15
    assert parsed.sample_peak <= 0 and parsed.true_peak >= parsed.sample_peak - 0.1
    assert parsed.noise_floor == -90.0  # espeak's exact silences print "-inf"

    # ffmpeg 5.1's output for a bad option: an all-zero summary. Never a figure.
    with pytest.raises(AudioRefused) as refused:
        ffmpeg.parse_measure(CAPTURED_OPTION_ERROR, 1)
    assert refused.value.reason == "undecodable"
    with pytest.raises(AudioRefused, match="lacks"):
        ffmpeg.parse_measure(CAPTURED_OPTION_ERROR, 0)  # even if the exit code were 0
    with pytest.raises(AudioRefused, match="lacks"):
        ffmpeg.parse_measure(real.stderr.replace("Noise floor", "Noise"))
    with pytest.raises(AudioRefused):
        ffmpeg.parse_measure(real.stderr, 1)


def test_a_bad_meter_option_is_an_error_not_a_figure(audio_fixtures, tmp_path, monkeypatch):
    canon = tmp_path / "canon.wav"
    ffmpeg.decode(audio_fixtures["vi_word"], canon)
    monkeypatch.setattr(ffmpeg, "MEASURE_FILTER",
                        ffmpeg.MEASURE_FILTER.replace("peak=sample+true", "peak=sample+bogus"))
    with pytest.raises(AudioRefused) as refused:
        ffmpeg.measure(canon)
    assert refused.value.reason == "undecodable"


def test_a_run_past_its_timeout_is_killed(tmp_path):
    started = time.monotonic()
    with pytest.raises(AudioRefused) as refused:
        ffmpeg.run(["ffmpeg", "-nostdin", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"],
                   timeout=1.0)
    assert refused.value.reason == "timeout"
    assert time.monotonic() - started < 3
    assert audio_fx.child_processes() == []


def test_a_missing_tool_is_a_server_problem_not_a_refusal():
    with pytest.raises(ffmpeg.ToolMissing):
        ffmpeg.run(["ffmpeg-that-is-not-installed", "-version"])


def test_nothing_but_the_playback_copy_is_left_behind(audio_fixtures, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "unrelated.txt").write_text("the caller's own file stays")
    process(audio_fixtures["vi_word"], work, word=True)
    assert sorted(p.name for p in work.iterdir()) == [PLAYBACK_NAME, "unrelated.txt"]
    shutil.rmtree(work)
    with pytest.raises(AudioRefused):
        process(audio_fixtures["digital_silence"], work, word=True)
    assert list(work.iterdir()) == []
