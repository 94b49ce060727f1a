#!/usr/bin/env python
"""Build the two lists the skjerming detector uses for public text (issue 13), and write them to
``src/kommuneki/text/pii/data/``:

* ``places.txt`` — place and country names, so they are not taken for person names: the country, region
  and continent names written below (Norwegian Bokmål and Nynorsk forms, written for this project), and
  every form NorNE train annotates as a place (``GPE_LOC``, ``GPE_ORG``, ``LOC``) at least twice and never
  as part of a person's name. A form NorNE train or the name gazetteer knows as a first name or surname
  is left out either way ("Lie", "Berg", "Jordan", "Israel" are names too).
* ``public_persons.txt`` — names of well-known public persons (fvl. § 13 a nr. 3, «alminnelig kjent»):
  full names (two or more tokens) that NorNE train annotates as a person in at least ``--blocks``
  separate stretches of 100 sentences (Bokmål and Nynorsk counted apart). NorNE's texts are public news,
  blogs and parliament and government reports, so a name repeated across separate texts there is a
  public figure's (Jens Stoltenberg, Erna Solberg, Kofi Annan); one private person in one long article
  stays in one stretch and is left out. A single word (a surname used alone: "Stoltenberg", "Krekar")
  needs ``--single-blocks`` stretches and must be neither a common word nor a first name or surname on
  any of the name gazetteer's lists (NorNE's first names, faker's national lists).

NorNE (Jørgensen et al., LREC 2020): annotations CC0; the texts are not copied, only entity forms.

    .venv/bin/python scripts/build_public_lists.py            # reads ../shared/data/norne
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kommuneki.text.pii.evaluation import read_conll  # noqa: E402

NORNE = ROOT.parent / "shared" / "data" / "norne"
DATA = ROOT / "src" / "kommuneki" / "text" / "pii" / "data"

#: Countries, territories, regions and continents in Norwegian (Bokmål; Nynorsk where it differs), as
#: written in Norwegian news; written for this project.
COUNTRIES = """
Afghanistan Albania Algerie Andorra Angola Antigua Argentina Armenia Aserbajdsjan Aserbajdsjan Australia
Bahamas Bahrain Bangladesh Barbados Belgia Belize Benin Bhutan Bolivia Bosnia Botswana Brasil Brunei
Bulgaria Burkina Burundi Canada Chile Colombia Comorene Cuba Danmark Djibouti Dominica Ecuador Egypt
Eritrea Estland Eswatini Etiopia Fiji Filippinene Finland Frankrike Gabon Gambia Georgia Ghana Grenada
Guatemala Guinea Guinea-Bissau Guyana Haiti Hellas Honduras Hviterussland Kviterussland Belarus India
Indonesia Irak Iran Irland Island Israel Italia Jamaica Japan Jemen Jordan Kambodsja Kamerun Kapp Verde
Kasakhstan Kenya Kina Kirgisistan Kiribati Kongo Kosovo Kroatia Kuwait Kypros Laos Latvia Lesotho Libanon
Liberia Libya Liechtenstein Litauen Luxembourg Madagaskar Malawi Malaysia Maldivene Mali Malta Marokko
Mauritania Mauritius Mexico Mikronesia Moldova Monaco Mongolia Montenegro Mosambik Myanmar Burma Namibia
Nauru Nederland Nepal Nicaragua Niger Nigeria Noreg Norge Oman Pakistan Palau Palestina Panama
Paraguay Peru Polen Portugal Qatar Romania Russland Rwanda Samoa Saudi-Arabia Senegal Serbia Seychellene
Singapore Slovakia Slovenia Somalia Spania Sudan Surinam Sveits Sverige Syria Tadsjikistan Taiwan Tanzania
Thailand Togo Tonga Trinidad Tsjad Tsjekkia Tunisia Tyrkia Turkmenistan Tuvalu Tyskland Uganda Ukraina
Ungarn Uruguay USA Usbekistan Vanuatu Vatikanstaten Venezuela Vietnam Zambia Zimbabwe Sør-Afrika
Sør-Korea Nord-Korea Sør-Sudan Nord-Makedonia Makedonia Øst-Timor Elfenbenskysten Grønland Færøyene
Færøyane Svalbard Tibet Tsjetsjenia Krim Kurdistan Catalonia Katalonia Skottland Wales England
Storbritannia Nord-Irland Sovjetunionen Jugoslavia Tsjekkoslovakia Preussen Østerrike Austerrike
Europa Afrika Asia Amerika Nord-Amerika Sør-Amerika Latin-Amerika Oseania Antarktis Arktis Midtøsten
Skandinavia Norden Balkan Baltikum Kaukasus Sahara Sibir Gaza Vestbredden Kampuchea Persia Mesopotamia
Vest-Europa Øst-Europa Nord-Europa Sør-Europa Sentral-Europa Vest-Afrika Øst-Afrika Nord-Afrika
Sør-Asia Sørøst-Asia Øst-Asia Sentral-Asia Vesten Østen Middelhavet Atlanterhavet Stillehavet
Nordsjøen Østersjøen Barentshavet Nordishavet Svartehavet Kaspihavet Rødehavet
""".split()
COUNTRIES_MULTI = [
    "Sri Lanka",
    "Costa Rica",
    "El Salvador",
    "Sierra Leone",
    "Saudi Arabia",
    "New Zealand",
    "Papua Ny-Guinea",
    "Den dominikanske republikk",
    "De forente arabiske emirater",
    "Den sentralafrikanske republikk",
    "Sør-Sudan",
    "San Marino",
    "Puerto Rico",
    "Hong Kong",
    "Nord-Irland",
]


def entities(sent: list[tuple[str, str]]):
    i = 0
    while i < len(sent):
        tag = sent[i][1]
        if tag.startswith("B-") or tag.startswith("I-"):
            typ = tag[2:]
            j = i + 1
            while j < len(sent) and sent[j][1] == f"I-{typ}":
                j += 1
            yield typ, [w for w, _t in sent[i:j]], i
            i = j
        else:
            i += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=3, help="separate 100-sentence stretches for a public name")
    ap.add_argument("--single-blocks", type=int, default=5, help="the same for a single word")
    ap.add_argument("--min-place", type=int, default=2, help="times NorNE train marks a form as a place")
    args = ap.parse_args()
    place_count: Counter[str] = Counter()
    per_tokens: set[str] = set()
    person_blocks: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for lang in ("nob", "nno"):
        for k, sent in enumerate(read_conll(NORNE / lang / "train.tsv")):
            for typ, words, _i in entities(sent):
                if typ == "PER":
                    per_tokens.update(words)
                    person_blocks[" ".join(words)].add((lang, k // 100))
                elif typ in ("GPE_LOC", "GPE_ORG", "LOC"):
                    place_count[" ".join(words)] += 1
    gaz = json.loads((DATA / "names_gazetteer.json").read_text(encoding="utf-8"))
    known_names = per_tokens | set(gaz["first_names"]) | set(gaz["last_names"])
    faker = set(gaz["faker_first"]) | set(gaz["faker_last"])
    # a form that is also a person's first name or surname is not a sure place (faker's lists are not
    # held against the country list: "Jordan" and "Georgia" are there)
    places = {
        p
        for p, c in place_count.items()
        if c >= args.min_place and not any(w in known_names or w in faker for w in p.split())
    }
    countries = set(COUNTRIES) | set(COUNTRIES_MULTI)
    places |= {p for p in countries if not any(w in known_names for w in p.split())}
    places = {p for p in places if len(p) > 2}
    from kommuneki.text.pii.names_lexicon import load_lexicon

    lexicon = load_lexicon()
    common = set(gaz["first_names"]) | faker

    def single_ok(w: str) -> bool:
        base = w[:-1] if w.endswith("s") else w
        return (
            len(w) > 2
            and w.lower() not in lexicon
            and not ({w, base} & common)
            and w.lower() not in ("gud", "guds")
        )

    persons = sorted(
        p
        for p, b in person_blocks.items()
        if (" " in p and len(b) >= args.blocks)
        or (" " not in p and len(b) >= args.single_blocks and single_ok(p))
    )
    head = (
        "# Place and country names (issue 13): not person names. Built by scripts/build_public_lists.py\n"
        "# from NorNE train place annotations (GPE_LOC, GPE_ORG, LOC; CC0) and the project's own country\n"
        "# list; forms known as a first name or surname in NorNE train (and, for NorNE's forms, faker's\n"
        "# lists) are left out.\n"
    )
    (DATA / "places.txt").write_text(head + "\n".join(sorted(places)) + "\n", encoding="utf-8")
    head = (
        f"# Well-known public persons (issue 13, fvl. § 13 a nr. 3): full names NorNE train (CC0) marks as\n"
        f"# a person in at least {args.blocks} separate stretches of 100 sentences (a single word: at least\n"
        f"# {args.single_blocks}, and no common word or name on the gazetteer's lists). Built by\n"
        "# scripts/build_public_lists.py; public figures of Norwegian news up to about 2012.\n"
    )
    (DATA / "public_persons.txt").write_text(head + "\n".join(persons) + "\n", encoding="utf-8")
    print(f"places: {len(places)}; public persons: {len(persons)}")


if __name__ == "__main__":
    main()
