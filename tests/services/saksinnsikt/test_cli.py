"""`kommuneki saksinnsikt search`: the batch contract over files, with no database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kommuneki.cli import main as kommuneki_cli

DOCS = {
    "a.txt": "\ufeffKommunen innvilget søknaden om dispensasjon fra plan- og bygningsloven § 19-2.\r\n\r\n"
    "Søknad om skjenkebevilling ble avslått fordi søkeren ikke hadde bestått kunnskapsprøven.",
    "sub/b.txt": "Barnehageplass tildeles etter opptakskriteriene i vedtektene. Søsken prioriteres alltid.",
    "sub/c.png": "ikke et bilde",
}


def _setup(tmp_path):
    for name, text in DOCS.items():
        p = tmp_path / "docs" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode())
    q = tmp_path / "q.jsonl"
    q.write_text(
        '{"id": 1, "question": "Hvorfor ble skjenkebevillingen avslått?", "other": 5}\n'
        "\n"
        '{"id": "to", "question": ""}\n'
        '{"id": 3, "question": "Hvem prioriteres ved tildeling av barnehageplass?"}\n'
        "ikke json\n"
        '{"id": 4, "question": "' + "ord " * 3000 + '"}\n',
        encoding="utf-8",
    )
    return tmp_path / "docs", q


def _run(args):
    return CliRunner().invoke(kommuneki_cli, ["saksinnsikt", "search", *args])


def test_search_gives_one_line_per_query_in_order_with_exact_offsets(tmp_path):
    docs, q = _setup(tmp_path)
    r = _run([str(docs), "--queries", str(q), "--k", "2", "--method", "bm25", "--answer", "--json"])
    assert r.exit_code == 1  # some lines failed
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == [1, "to", 3, None, 4]
    assert lines[1]["code"] == lines[3]["code"] == lines[4]["code"] == "invalid_input"
    assert "tomt" in lines[1]["error"] and "for langt" in lines[4]["error"]
    first = lines[0]
    assert len(first["results"]) <= 2
    top = first["results"][0]
    assert top["path"] == str(docs / "a.txt")
    extracted = DOCS["a.txt"][1:]  # the BOM removed, nothing else changed (CRLF kept)
    assert extracted[top["start"] : top["end"]] == top["text"]
    answer = first["answer"]
    assert "skjenkebevilling" in answer["text"] and answer["path"] == top["path"]
    assert extracted[answer["start"] : answer["end"]] == answer["text"]
    assert top["start"] <= answer["start"] < answer["end"] <= top["end"]
    assert lines[2]["results"][0]["path"] == str(docs / "sub" / "b.txt")
    assert "c.png" in r.stderr


def test_hybrid_is_the_default_deterministic_and_cached(tmp_path):
    docs, q = _setup(tmp_path)
    q.write_text('{"id": 7, "question": "Hva skjedde med søknaden om dispensasjon?"}\n', encoding="utf-8")
    cache = tmp_path / "cache"
    one = _run([str(docs), "--queries", str(q), "--cache", str(cache), "--json"])
    two = _run([str(docs), "--queries", str(q), "--cache", str(cache), "--json"])
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    line = json.loads(one.stdout)
    assert line["answer"] is None  # without --answer
    assert line["results"][0]["path"].endswith("a.txt")
    assert (cache / "embeddings.sqlite").exists()


def test_no_readable_document_or_a_wrong_option_exits_2_with_one_line(tmp_path):
    docs, q = _setup(tmp_path)
    empty = tmp_path / "tom"
    empty.mkdir()
    r = _run([str(empty), "--queries", str(q), "--json"])
    assert r.exit_code == 2 and r.stdout == "" and "ingen dokumenter" in r.stderr
    for bad in (["--k", "0"], ["--k", "ti"], ["--method", "magisk"]):
        r = _run([str(docs), "--queries", str(q), *bad])
        assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_index_ask_similar_and_grant_against_a_stored_index(tmp_path, extract_dir):
    import os

    from tests.conftest import make_platform

    from kommuneki.core import accounts

    data = tmp_path / "data"
    p = make_platform(data)
    p.upgrade_db()
    with p.db.installation_session() as s:
        accounts.create_tenant(s, slug="cli", name="CLI kommune", kommunenummer="9992", actor="t")
        accounts.create_user(s, username="kari", password="passord-for-test", actor="t")
    p.close()
    env = {k: None for k in os.environ if k.startswith("KOMMUNEKI_")}

    def run(*args):
        return CliRunner(env=env).invoke(kommuneki_cli, ["--data-dir", str(data), "saksinnsikt", *args])

    r = run("index", str(extract_dir), "--no-embed", "--tenant", "cli", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["indexed"] == 3 and out["pending_embeddings"] > 0 and "mangler" in r.stderr
    r = run("ask", "Kan garasjen bygges nær nabogrensen?", "--method", "bm25", "--tenant", "cli", "--json")
    answer = json.loads(r.stdout)["answer"]
    assert r.exit_code == 0 and "nabogrensen" in answer["text"] and answer["ai_generated"] is False
    r = run("similar", str(answer["document_id"]), "--tenant", "cli")
    assert r.exit_code == 0 and "like saker" in r.stdout
    assert run("grant", "kari", "13", "--tenant", "cli").exit_code == 0
    assert run("grant", "ingen", "13", "--tenant", "cli").exit_code == 2
    r = run("settings", "--tenant", "cli")
    assert r.exit_code == 0 and "Genererte svar: av." in r.stdout  # off by default
    r = run(
        "settings", "--llm-url", "http://10.0.0.5:8000/v1", "--llm-model", "m", "--tenant", "cli", "--json"
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["llm_url"] == "http://10.0.0.5:8000/v1"
    assert run("settings", "--llm-url", "ftp://x/v1", "--tenant", "cli").exit_code != 0
    r = run("settings", "--llm-off", "--tenant", "cli", "--json")
    assert json.loads(r.stdout)["llm_url"] is None and json.loads(r.stdout)["llm_model"] == "m"
