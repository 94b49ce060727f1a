"""`kommuneki tale transcribe` and `note` with no database: one JSON line per file in argument order,
errors as lines, exit codes 1 (a file failed) and 2 (no model)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kommuneki.cli import main


def test_transcribe_prints_one_line_per_file_in_order(transcriber, speech, sox, tmp_path):
    silence = tmp_path / "stille.wav"
    sox("-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "3")
    bad = tmp_path / "ødelagt.mp3"
    bad.write_bytes(b"\x00\x01 not audio" * 30)
    clip = speech / "norwegian-short-3s.mp3"
    args = [
        "tale",
        "transcribe",
        str(clip),
        str(bad),
        str(silence),
        "--json",
        "--model",
        str(transcriber.model.path),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["path"] for line in lines] == [str(clip), str(bad), str(silence)]
    assert lines[0]["text"] and lines[0]["model"]["sha256"] == transcriber.model.sha256
    assert set(lines[1]) == {"path", "error", "code"} and lines[1]["code"] == "unreadable"
    assert lines[2]["text"] == "" and lines[2]["segments"] == [] and lines[2]["dropped_segments"] >= 0


def test_a_missing_model_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["tale", "transcribe", "x.wav", "--json", "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout.strip())["code"] == "model_missing"


def test_note_from_a_text_transcript(tmp_path):
    dictation = tmp_path / "diktat.txt"
    dictation.write_text("Blodsukker seks komma to. Tiltak: Ga Novorapid fire enheter.", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tale", "note", str(dictation), "--template", "hjemmetjenesten", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["path"] == str(dictation) and out["template"] == "hjemmetjenesten"
    tiltak = next(s for s in out["sections"] if s["name"] == "Tiltak")
    assert tiltak["text"] == "Ga Novorapid fire enheter."
    kinds = {f["type"]: f for f in out["fields"]}
    assert kinds["blodsukker"]["value"] == 6.2 and kinds["legemiddel"]["dose"] == 4
    assert (
        out["transcript"][kinds["blodsukker"]["start"] : kinds["blodsukker"]["end"]]
        == "Blodsukker seks komma to"
    )
