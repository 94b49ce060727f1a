"""Training history from a CSV file and from a Noark 5 arkivuttrekk (arkivstruktur.xml), and training
through `kommuneki postmottak train` on them. The Noark fixtures are written here and validated against
the published Noark 5 v5.0 arkivstruktur XSD, so they are real Noark 5 documents."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from pm_helpers import make_eml
from sqlalchemy import select
from tests.conftest import SHARED, require

from kommuneki.cli import main
from kommuneki.core.models import Item, ModelVersion
from kommuneki.ingest.email import parse_message
from kommuneki.services.postmottak import corpus, engine, features, history, service, training
from kommuneki.services.postmottak.textmodel import TextModel

NOARK_XSD = SHARED / "data" / "noark5" / "xsd-v5.0" / "arkivstruktur.xsd"
UNIT_NAMES = {
    "postmottak": "Postmottak og arkiv",
    "byggesak": "Byggesak",
    "plan": "Plan og geodata",
    "oppvekst": "Oppvekst og utdanning",
    "helse-omsorg": "Helse og omsorg",
    "nav": "NAV-kontoret",
    "okonomi": "Økonomi",
    "eiendomsskatt": "Eiendomsskattekontoret",
    "teknisk-drift": "Teknisk drift",
    "politisk-sekretariat": "Politisk sekretariat",
}
LAWFUL_BASIS = "GDPR art. 6 (1) e, arkivlova § 6 – vedtak 2025/17"


# --- a Noark 5 arkivstruktur.xml writer (test fixture) ------------------------------------------------------


def _el(name: str, value) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def _stamp(name: str = "opprettet") -> str:
    return _el(f"{name}Dato", "2025-03-01T10:00:00") + _el(f"{name}Av", "arkivar")


def _journalpost(n: int, p: dict) -> str:
    """One registrering of xsi:type journalpost. ``p``: tittel, type, navn, epost, enhet (of an internal
    recipient), dokumenttype, fil (referanseDokumentfil), status."""
    docs = ""
    if p.get("dokumenttype"):
        obj = ""
        if p.get("fil"):
            obj = (
                "<dokumentobjekt>"
                + _el("systemID", uuid.uuid4())
                + _el("versjonsnummer", 1)
                + _el("variantformat", "Arkivformat")
                + _el("format", "TXT")
                + _stamp()
                + _el("referanseDokumentfil", p["fil"])
                + _el("sjekksum", "0" * 64)
                + _el("sjekksumAlgoritme", "SHA256")
                + _el("filstoerrelse", 100)
                + "</dokumentobjekt>"
            )
        docs = (
            "<dokumentbeskrivelse>"
            + _el("systemID", uuid.uuid4())
            + _el("dokumenttype", p["dokumenttype"])
            + _el("dokumentstatus", "Dokumentet er ferdigstilt")
            + _el("tittel", p["tittel"])
            + _stamp()
            + _el("tilknyttetRegistreringSom", "Hoveddokument")
            + _el("dokumentnummer", 1)
            + _el("tilknyttetDato", "2025-03-01T10:00:00")
            + _el("tilknyttetAv", "arkivar")
            + obj
            + "</dokumentbeskrivelse>"
        )
    parts = ""
    if p.get("navn"):
        parts += (
            "<korrespondansepart>"
            + _el("korrespondanseparttype", "Avsender")
            + _el("korrespondansepartNavn", p["navn"])
            + (_el("epostadresse", p["epost"]) if p.get("epost") else "")
            + "</korrespondansepart>"
        )
    if p.get("enhet"):
        parts += (
            "<korrespondansepart>"
            + _el("korrespondanseparttype", "Intern mottaker")
            + _el("korrespondansepartNavn", "Saksbehandler")
            + _el("administrativEnhet", p["enhet"])
            + "</korrespondansepart>"
        )
    return (
        '<registrering xsi:type="journalpost">'
        + _el("systemID", uuid.uuid4())
        + _stamp()
        + _stamp("arkivert")
        + docs
        + _el("tittel", p["tittel"])
        + parts
        + _el("journalaar", 2025)
        + _el("journalsekvensnummer", n)
        + _el("journalpostnummer", n)
        + _el("journalposttype", p.get("type", "Inngående dokument"))
        + _el("journalstatus", p.get("status", "Journalført"))
        + _el("journaldato", "2025-03-01")
        + _el("mottattDato", "2025-03-01T08:00:00")
        + "</registrering>"
    )


def _saksmappe(n: int, enhet: str, posts: str) -> str:
    return (
        '<mappe xsi:type="saksmappe">'
        + _el("systemID", uuid.uuid4())
        + _el("mappeID", f"2025/{n}")
        + _el("tittel", f"Sak {n}")
        + _stamp()
        + _stamp("avsluttet")
        + posts
        + _el("saksaar", 2025)
        + _el("sakssekvensnummer", n)
        + _el("saksdato", "2025-03-01")
        + _el("administrativEnhet", enhet)
        + _el("saksansvarlig", "Saksbehandler")
        + _el("saksstatus", "Avsluttet")
        + "</mappe>"
    )


def noark_extract(folder: Path, cases: list[tuple[str, list[dict]]]) -> Path:
    """arkivstruktur.xml with one arkivdel and a saksmappe per (administrativEnhet, journalposter)."""
    n = 0
    mapper = []
    for i, (enhet, posts) in enumerate(cases, 1):
        body = ""
        for p in posts:
            n += 1
            body += _journalpost(n, p)
        mapper.append(_saksmappe(i, enhet, body))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<arkiv xmlns="{history.NOARK_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + _el("systemID", uuid.uuid4())
        + _el("tittel", "Arkiv for Testkommune")
        + _stamp()
        + _stamp("avsluttet")
        + "<arkivskaper>"
        + _el("arkivskaperID", "9990")
        + _el("arkivskaperNavn", "Testkommune")
        + "</arkivskaper>"
        + "<arkivdel>"
        + _el("systemID", uuid.uuid4())
        + _el("tittel", "Sakarkiv 2025")
        + _el("arkivdelstatus", "Avsluttet periode")
        + _stamp()
        + _stamp("avsluttet")
        + "".join(mapper)
        + "</arkivdel></arkiv>\n"
    )
    path = folder / "arkivstruktur.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def assert_valid_noark5(path: Path) -> None:
    try:
        from lxml import etree
    except ImportError:
        require(False, "lxml", "pip install lxml")
    require(NOARK_XSD.exists(), "the Noark 5 v5.0 XSD", f"put it in {NOARK_XSD.parent}")
    schema = etree.XMLSchema(etree.parse(str(NOARK_XSD)))
    doc = etree.parse(str(path))
    assert schema.validate(doc), schema.error_log


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_history_reads_files_and_text_columns_and_reports_bad_rows_by_line(tmp_path):
    (tmp_path / "post").mkdir()
    (tmp_path / "post" / "faktura.eml").write_bytes(
        make_eml("Faktura 40112", "Vedlagt faktura på kr 12 400.")
    )
    (tmp_path / "post" / "ikke-epost.eml").write_bytes(b"\x00\x01")
    rows = [
        "action;unit;dokumenttype;file;subject;from;body",
        "journalfores;okonomi;Faktura;post/faktura.eml;;;",
        "videresendes;teknisk-drift;;;Hull i veien;Kari Nordmann <kari@gmail.com>;"
        '"Stort hull i Storgata.\nHilsen Kari"',
        "slettes;;;;Tilbud på kontorrekvisita;salg@butikk.no;Kjøp nå!",
        "arkiveres;byggesak;SØKNAD;;Søknad om tiltak;ola@x.no;Vi søker",  # line 6: unknown action
        "journalfores;byggesak;Søknad;post/finnes-ikke.eml;;;",  # line 7: missing file
        "journalfores;byggesak;SØKNAD;;;;",  # line 8: no file, no text
        "journalfores;byggesak",  # line 9: too few fields
        "journalfores;plan;MELDING;../utenfor.eml;;;",  # line 10: outside the folder
        "journalfores;plan;MELDING;post/ikke-epost.eml;;;",  # line 11: not mail
        "Journalføres;Byggesak;søknad;;Søknad om ferdigattest;Ola <ola@x.no>;Vi søker om ferdigattest.",
    ]
    path = tmp_path / "historikk.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))
    hist = history.from_csv(path)
    assert [lab["action"] for lab in hist.labels] == [
        "journalfores",
        "videresendes",
        "slettes",
        "journalfores",
    ]
    assert hist.labels[0] == {
        "action": "journalfores",
        "unit": "okonomi",
        "dokumenttype": "FAKTURA",
        "delete_reason": None,
        "innsyn": False,
    }
    assert hist.labels[3]["dokumenttype"] == "SØKNAD" and hist.labels[3]["unit"] == "Byggesak"
    text_row = parse_message(hist.raws[1])  # built with the stdlib email package
    assert text_row.subject == "Hull i veien" and text_row.sender_address == "kari@gmail.com"
    assert "Stort hull i Storgata." in text_row.body and "Hilsen Kari" in text_row.body
    assert "hdr_freemail" in features.model_text(text_row)
    lines = {int(p.split("linje ")[1].split(":")[0]): p for p in hist.problems}
    assert sorted(lines) == [6, 7, 8, 9, 10, 11]
    assert "ukjent handling «arkiveres»" in lines[6]
    assert "finner ikke filen «post/finnes-ikke.eml»" in lines[7]
    assert "mangler både fil og tekst" in lines[8]
    assert "har 2 felt, men overskriften har 7" in lines[9]
    assert "utenfor mappen" in lines[10]
    assert "e-post" in lines[11]
    assert all(p.startswith("historikk.csv linje ") for p in hist.problems)
    # the tenant's units by name become its unit codes
    assert history.map_units(hist, [("byggesak", "Byggesak"), ("teknisk-drift", "Teknisk drift")]) == 1
    assert hist.labels[3]["unit"] == "byggesak"


def test_csv_history_comma_separated_in_windows_1252_and_nothing_usable_is_refused(tmp_path):
    path = tmp_path / "eldre.csv"
    path.write_bytes(
        "handling,enhet,dokumenttype,emne,fra,tekst\n"
        "journalfores,økonomi,FAKTURA,Faktura fra Søberg,post@soberg.no,Beløp kr 400\n".encode("cp1252")
    )
    hist = history.from_csv(path)
    assert hist.labels[0]["unit"] == "økonomi" and parse_message(hist.raws[0]).subject == "Faktura fra Søberg"
    bad = tmp_path / "feil.csv"
    bad.write_text(
        "action;unit;dokumenttype;subject;from;body\nferdig;x;;a;b;c\n;x;;a;b;c\n", encoding="utf-8"
    )
    with pytest.raises(Exception) as exc:
        history.load_all([bad])
    assert "Ingen brukbare meldinger" in str(exc.value) and "feil.csv linje 2" in str(exc.value)
    assert "feil.csv linje 3" in str(exc.value)
    no_text = tmp_path / "uten-tekst.csv"
    no_text.write_text("action;unit\njournalfores;plan\n", encoding="utf-8")
    with pytest.raises(Exception) as exc:
        history.from_csv(no_text)
    assert "file" in str(exc.value) and "subject" in str(exc.value)


# --- Noark 5 ----------------------------------------------------------------------------------------------


def test_noark5_extract_gives_incoming_journalposts_with_unit_dokumenttype_and_document_text(tmp_path):
    (tmp_path / "dokumenter").mkdir()
    (tmp_path / "dokumenter" / "soknad.txt").write_text(
        "Vi søker om dispensasjon fra byggegrensen mot vei.", encoding="utf-8"
    )
    path = noark_extract(
        tmp_path,
        [
            (
                "Byggesak",
                [
                    {
                        "tittel": "Søknad om dispensasjon – gnr 12 bnr 3",
                        "navn": "Ola Utbygger",
                        "epost": "ola@bygg.no",
                        "dokumenttype": "Søknad",
                        "fil": "dokumenter/soknad.txt",
                    },
                    {
                        "tittel": "Nabomerknad til søknad",
                        "navn": "Kari Nabo",
                        "dokumenttype": "Brev",
                        "fil": "dokumenter/mangler.pdf",
                    },
                    {
                        "tittel": "Vedtak om dispensasjon",
                        "type": "Utgående dokument",
                        "dokumenttype": "Vedtak",
                    },
                    {"tittel": "Feilregistrert", "status": "Utgår", "dokumenttype": "Brev"},
                ],
            ),
            (
                "Teknisk drift",
                [
                    {
                        "tittel": "Faktura for brøyting",
                        "navn": "Brøyt AS",
                        "dokumenttype": "Faktura",
                        "enhet": "Økonomi",
                    },  # the internal recipient's unit wins over the saksmappe's
                    {"tittel": "Innsynsbegjæring", "navn": "Journalist", "dokumenttype": "Innsynsbegjæring"},
                ],
            ),
        ],
    )
    assert_valid_noark5(path)
    hist = history.from_noark(path)
    assert len(hist.raws) == 4 and not hist.problems
    assert [(lab["action"], lab["unit"], lab["dokumenttype"]) for lab in hist.labels] == [
        ("journalfores", "Byggesak", "SØKNAD"),
        ("journalfores", "Byggesak", "KORR"),
        ("journalfores", "Økonomi", "FAKTURA"),
        ("journalfores", "Teknisk drift", "INNSYNSKRAV"),
    ]
    assert hist.labels[3]["innsyn"] is True
    first = parse_message(hist.raws[0])
    assert first.subject == "Søknad om dispensasjon – gnr 12 bnr 3" and first.sender == "Ola Utbygger"
    assert first.sender_address == "ola@bygg.no"
    assert "dispensasjon fra byggegrensen" in first.body and "Ola Utbygger" in first.body
    second = parse_message(hist.raws[1])
    assert second.sender == "Kari Nabo" and "Kari Nabo" in features.model_text(second)  # name is in the text
    notes = " ".join(hist.notes)
    assert "1 journalposter som ikke er inngående" in notes and "«Utgår»" in notes
    assert "for 3 journalposter manglet dokumentfilen" in notes  # the missing .pdf and the two without a file
    assert history.load(path).labels == hist.labels  # chosen by suffix


def test_noark5_refuses_other_xml_and_doctype(tmp_path):
    other = tmp_path / "arkivmelding.xml"
    other.write_text(
        '<?xml version="1.0"?><arkivmelding xmlns="https://ks-no.github.io/standarder/fiks-protokoll/'
        'fiks-arkiv/arkivmelding/opprett/v1"/>',
        encoding="utf-8",
    )
    with pytest.raises(Exception) as exc:
        history.from_noark(other)
    assert "ikke et Noark 5-arkivuttrekk" in str(exc.value)
    bomb = tmp_path / "bombe.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE arkiv [<!ENTITY a "aaaa">]><arkiv>&a;</arkiv>', encoding="utf-8"
    )
    with pytest.raises(Exception) as exc:
        history.from_noark(bomb)
    assert "DOCTYPE" in str(exc.value)
    # the same hidden where a byte search of the file's start would miss it: after a long comment, in UTF-16
    hidden = tmp_path / "skjult.xml"
    hidden.write_text(
        '<?xml version="1.0" encoding="UTF-16"?><!--' + "x" * 100_000 + "--><!DOCTYPE arkiv "
        '[<!ENTITY a "aaaa">]><arkiv>&a;</arkiv>',
        encoding="utf-16",
    )
    with pytest.raises(Exception) as exc:
        history.from_noark(hidden)
    assert "DOCTYPE" in str(exc.value)
    broken = tmp_path / "brutt.xml"
    broken.write_text("<arkiv", encoding="utf-8")
    with pytest.raises(Exception) as exc:
        history.load(broken)
    assert "ikke gyldig XML" in str(exc.value)
    with pytest.raises(Exception) as exc:
        history.load(tmp_path / "noe.json")
    assert "ukjent historikk" in str(exc.value)


def test_single_class_action_keeps_the_default_models_action_head_and_says_so():
    msgs = [m for m in corpus.generate(200, split="train", seed=5) if m.labels["action"] == "journalfores"][
        :80
    ]
    assert len(msgs) >= 60
    base = engine.default_model()
    model = training.train_on([m.raw for m in msgs], [m.labels for m in msgs], version="t", base=base)
    assert set(model.classifiers) == {"unit", "dokumenttype"}
    assert set(model.meta["borrowed"]) == {"action", "delete_reason"}
    again = TextModel.loads(model.dumps())  # the borrowed heads travel inside the artifact
    spam = parse_message(
        make_eml(
            "Billige klokker", "Kjøp billige klokker nå! Klikk her for tilbud.", sender="deals@spam.example"
        )
    )
    t = engine.triage(spam, again, check_sensitive=False)
    assert t.action in engine.ACTIONS
    assert t.unit is None or t.unit in {m.labels["unit"] for m in msgs} | {"postmottak"}
    assert (
        again.predict(features.model_text(spam))["action"].value
        == base.predict(features.model_text(spam))["action"].value
    )
    card = training.model_card(again, {"n": 0}, training_time_s=None)
    assert card["model"]["borrowed_tasks"]["action"] == f"{base.name} {base.version}"
    assert any("Handling" in line and "hentet fra" in line for line in card["limitations"])


# --- end to end through the CLI ----------------------------------------------------------------------------


def _cli(platform, *args):
    return CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(platform.settings.data_dir),
            "--database-url",
            platform.settings.database_url,
            "postmottak",
            *args,
        ],
        catch_exceptions=False,
    )


def test_train_from_csv_and_noark_export_through_the_cli(tenant, tmp_path):
    platform, tid = tenant
    msgs = list(corpus.generate(150, split="train", seed=77))
    src = tmp_path / "historikk"
    (src / "eml").mkdir(parents=True)
    with open(src / "behandlet.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["action", "unit", "dokumenttype", "delete_reason", "file", "subject", "from", "body"])
        w.writerow(["sendes-tilbake", "", "", "", "", "Hei", "a@b.no", "Tekst"])  # line 2: a bad row
        for i, m in enumerate(msgs[:90]):
            lab = m.labels
            row = [
                lab["action"],
                lab["unit"] or "",
                lab["dokumenttype"] or "",
                lab.get("delete_reason") or "",
            ]
            if i % 2:
                (src / "eml" / f"{i}.eml").write_bytes(m.raw)
                w.writerow(row + [f"eml/{i}.eml", "", "", ""])
            else:
                p = parse_message(m.raw)
                w.writerow(row + ["", p.subject, p.header("from"), p.body])
    incoming = [
        m
        for m in msgs[90:] + list(corpus.generate(300, split="train", seed=78))
        if m.labels["action"] == "journalfores" and m.labels["unit"] and m.labels["dokumenttype"]
    ][:60]
    (src / "dokumenter").mkdir()
    cases: dict[str, list[dict]] = {}
    for i, m in enumerate(incoming):
        p = parse_message(m.raw)
        (src / "dokumenter" / f"{i}.txt").write_text(p.body or "-", encoding="utf-8")
        # archive systems write the unit's name and dokumenttype's description, not our codes
        cases.setdefault(UNIT_NAMES[m.labels["unit"]], []).append(
            {
                "tittel": p.subject or "Uten tittel",
                "navn": p.sender or p.sender_address,
                "epost": p.sender_address,
                "dokumenttype": engine.dokumenttype_label(m.labels["dokumenttype"]),
                "fil": f"dokumenter/{i}.txt",
            }
        )
    xml = noark_extract(src, list(cases.items()))
    assert_valid_noark5(xml)

    refused = _cli(platform, "train", str(src / "behandlet.csv"), "--tenant", "pmtest")
    assert refused.exit_code == 2 and "rettslige grunnlaget" in refused.output  # no legal basis recorded yet
    service.update_settings(platform, tid, "test", lawful_basis=LAWFUL_BASIS)

    journal_only = _cli(platform, "train", str(xml), "--tenant", "pmtest", "--json")
    assert journal_only.exit_code == 0, journal_only.output
    mv = json.loads(journal_only.stdout)
    assert mv["trained_on_personal_data"] is True and mv["history"]["actions"] == {"journalfores": 60}
    assert set(mv["card"]["model"]["borrowed_tasks"]) == {"action", "delete_reason"}
    unit_classes = set(mv["card"]["model"]["class_counts"]["unit"])
    assert unit_classes and unit_classes <= set(UNIT_NAMES)  # names mapped to the tenant's unit codes

    both = _cli(platform, "train", str(src / "behandlet.csv"), str(xml), "--tenant", "pmtest", "--json")
    assert both.exit_code == 0, both.output
    mv = json.loads(both.stdout)
    assert mv["history"]["messages"] == 150
    assert mv["history"]["problems"] == [
        "behandlet.csv linje 2: ukjent handling «sendes-tilbake» (bruk "
        "journalfores, videresendes eller slettes)."
    ]
    assert "Utelatt: behandlet.csv linje 2" in both.stderr
    assert "action" not in mv["card"]["model"]["borrowed_tasks"]  # three actions: trained on the tenant's own
    assert mv["card"]["training_data"]["rows"] == 120 and mv["card"]["metrics"]["n"] == 30
    with platform.db.tenant_session(tid) as s:
        assert service.current_model(s, tid).version == mv["version"]

    # the same history as one folder, handed to a worker: zipped, stored, trained by the task
    # ``postmottak.train`` (here a thread of the CLI, which waits for it; a queue's worker elsewhere)
    submitted = _cli(platform, "train", str(src), "--tenant", "pmtest", "--submit", "--wait", "--json")
    assert submitted.exit_code == 0, submitted.output
    out = json.loads(submitted.stdout)
    job, trained = out["job"], out["result"]
    assert job["state"] == "done" and trained["messages"] == 150 and trained["left_out"] == 1
    assert trained["version"] != mv["version"] and trained["already"] is False
    with platform.db.tenant_session(tid) as s:
        assert service.current_model(s, tid).version == trained["version"]
        stored = s.scalars(select(Item).where(Item.kind == service.HISTORY_KIND)).all()
    assert [i.filename for i in stored] == ["historikk.zip"]
    # a run again (its worker died after registering) registers nothing twice
    payload = {"item_ids": [stored[0].id], "version": trained["version"], "actor": "cli"}
    again = service.train_task(platform, tid, payload, lambda *a: None)
    assert again["already"] is True and again["version"] == trained["version"]
    with platform.db.tenant_session(tid) as s:
        assert len(s.scalars(select(ModelVersion).where(ModelVersion.tenant_id == tid)).all()) == 3

    evaluated = _cli(platform, "evaluate", str(src / "behandlet.csv"), "--tenant", "pmtest", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.stdout)
    assert result["model"]["version"] == trained["version"] and result["n"] == 90  # the newest, in use
    assert 0 <= result["accuracy"]["action"] <= 1


def test_a_history_zip_bomb_and_a_damaged_zip_are_refused_in_norwegian(tmp_path, monkeypatch):
    """A .zip of history files that unpacks to far more than it packs (a zip bomb) is refused before
    anything is written to disk; a damaged member or a nameless one is a Norwegian error, not a crash."""
    import zipfile

    import pytest

    from kommuneki.core.errors import InvalidInput
    from kommuneki.services.postmottak import history as hist

    monkeypatch.setattr(hist, "MAX_ZIP_RATIO_FLOOR", 1024 * 1024)
    bomb = tmp_path / "historikk.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("historikk.csv", b"0" * (8 * 1024 * 1024))
    with pytest.raises(InvalidInput, match="zip-bombe"):
        hist.from_zip(bomb)

    damaged = tmp_path / "skadet.zip"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_STORED) as z:
        z.writestr("historikk.csv", b"dato,emne\n" * 2000)
    raw = bytearray(damaged.read_bytes())
    at = raw.find(b"dato,emne")
    raw[at : at + 9] = b"XXXXXXXXX"  # the member's bytes changed: its CRC no longer matches
    damaged.write_bytes(bytes(raw))
    with pytest.raises(InvalidInput, match="skadet"):
        hist.from_zip(damaged)
