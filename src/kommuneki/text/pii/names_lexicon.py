"""Person names, the word lists and lexicon: role words (model features, and the public-role signal),
words that never name a person, surname suffixes, party abbreviations, the common-word lexicon the
model was trained with, and the rules on those lists that run after the model (``not_a_person``,
``public_role``). Part of :mod:`kommuneki.text.pii.names`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
LEXICON_PATH = DATA / "lexicon_nb_nn.txt.gz"
#: Place and country names (issue 13), built by scripts/build_public_lists.py: not person names.
PLACES_PATH = DATA / "places.txt"
#: Names of well-known public persons (fvl. § 13 a nr. 3), built by scripts/build_public_lists.py.
PUBLIC_PERSONS_PATH = DATA / "public_persons.txt"

# Role words: before a name they signal a person acting in a public role (a signal, not a rule).
ROLE_WORDS = frozenset(
    """
ordfører ordføraren ordføreren varaordfører varaordføreren rådmann rådmannen kommunedirektør kommunedirektøren
kommunalsjef kommunalsjefen statsråd statsråden statsminister statsministeren minister ministeren
stortingsrepresentant stortingspresident fylkesordfører fylkesmann fylkesmannen statsforvalter
statsforvaltaren
statsforvalteren direktør direktøren generaldirektør sjef sjefen administrerende adm. dir. konsernsjef
styreleder styreleiar styreleiaren styrelederen leder leiar leiaren lederen nestleder partileder partileiar
president presidenten visepresident kong kongen dronning dronningen prins prinsesse kronprins kronprinsesse
biskop biskopen politimester politimesteren rektor rektoren professor dr. dommer dommaren dommeren
ambassadør ambassadøren utenriksminister finansminister justisminister helseminister kunnskapsminister
forsvarsminister kulturminister næringsminister statssekretær statssekretæren riksadvokat sivilombud
talsperson talsmann talskvinne pressetalsmann pressesjef informasjonssjef rådgiver rådgjevar
""".split()
)

PUBLIC_ROLE_WORDS = frozenset(
    """
ordfører ordføraren ordføreren varaordfører varaordføreren rådmann rådmannen kommunedirektør kommunedirektøren
kommunalsjef kommunalsjefen statsråd statsråden statsminister statsministeren minister ministeren
stortingsrepresentant stortingspresident fylkesordfører fylkesmann fylkesmannen statsforvalter
statsforvaltaren
statsforvalteren utenriksminister finansminister justisminister helseminister kunnskapsminister
forsvarsminister kulturminister næringsminister statssekretær statssekretæren riksadvokat sivilombud
politimester politimesteren biskop biskopen kong kongen dronning dronningen kronprins kronprinsesse
president presidenten partileder partileiar dommer dommeren dommaren rektor rektoren direktør direktøren
saksbehandler saksbehandlar saksbehandleren saksbehandlaren enhetsleder einingsleiar avdelingsleder
virksomhetsleder kommuneoverlege kommuneoverlegen kommuneadvokat byråd byrådsleder fylkesrådmann
politiker politikar politikeren fylkesleder fylkesleiar gruppeleder gruppeleiar partisekretær
sentralstyremedlem vararepresentant kommunestyrerepresentant bystyrerepresentant talsperson pressetalsperson
pressevakt fagdirektør leder leiar lederen leiaren styreleder styreleiar konsernsjef generalsekretær
spesialrapportør generalsekretæren
diktator diktatoren statsoverhode
""".split()
)
#: Titles that mark a role only right before the name ("lege Ove Talsnes", "politiadvokat Kari Berg"):
#: three words before ("fastlegen bekrefter at Marte …") they say who wrote, not who the name is.
TITLE_WORDS = frozenset(
    """
kaptein kapteinen aktor aktoren politiadvokat politiadvokaten statsadvokat statsadvokaten forsvarer
forsvareren bistandsadvokat advokat advokaten lensmann lensmannen lege legen fastlege fastlegen overlege
overlegen psykolog psykologen psykiater psykiateren sykepleier sjukepleiar jordmor helsesykepleier
helsesøster fysioterapeut ergoterapeut tannlege seniorrådgiver seniorrådgjevar
""".split()
)
#: Capitalised words the model may take for a name that never are one (not a natural person).
NOT_PERSONS = frozenset(
    "gud guds herren herrens".split()
)  # run-time signal only; ROLE_WORDS above are model features and must match training

SURNAME_SUFFIX = re.compile(
    r"(?:sen|ssen|son|sson|sdottir|dottir|rud|stad|heim|dal|dahl|land|vik|berg|haug|haugen|nes|ness|by|lie|"
    r"moen|bakken|seth|set|eng|strand|li|holm|gaard|gård|rød|ø|øy|aas|ås|åsen|voll|hus|ung|sæter|seter|tveit|"
    r"sveen|lund|lunde|mo|bø|vold|stø|skog|fjeld|fjell|heim|gren|qvist|ström|stein|borg|hammer)$"
)


def load_lexicon() -> frozenset[str]:
    """The common-word lexicon the model was trained with: the shipped copy (``data/lexicon_nb_nn.txt.gz``,
    written by scripts/train_names.py; loads in well under a second), else built from simplemma."""
    if LEXICON_PATH.exists():
        import gzip

        return frozenset(gzip.decompress(LEXICON_PATH.read_bytes()).decode("utf-8").split("\n"))
    return build_lexicon()


def build_lexicon() -> frozenset[str]:
    """Lower-case Norwegian word forms (Bokmål and Nynorsk) from simplemma's dictionaries (~5 s)."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    fac = DefaultDictionaryFactory()
    words: set[str] = set()
    for lang in ("nb", "nn"):
        d = fac.get_dictionary(lang)
        words.update(k for k in d.keys() if k.islower())
        words.update(v.decode() if isinstance(v, bytes) else v for v in d.values())
    return frozenset(w for w in words if w.islower())


_INITIALS_ONLY = re.compile(r"(?:[A-ZÆØÅ]\.?[\s-]*)+")


def not_a_person(text: str, s: int, e: int) -> bool:
    """Spans that look like a name to the model but cannot be one: a letter or initials alone ("A",
    "M." in "M. bovis", "§ 3 bokstav A"), the first part of a coordinated compound ("Arbeids- og
    inkluderingsdepartementet"), words that never name a person ("Guds"), and place and country names
    ("Ungarns", "Baltikum"; the list leaves out forms that are also first names or surnames)."""
    span = text[s:e]
    if _INITIALS_ONLY.fullmatch(span) or span.lower() in NOT_PERSONS or is_place(span):
        return True
    if text[e : e + 1] == "-" and re.match(r"-\s+(?:og|eller|,)", text[e : e + 8]):
        return True
    return False


def not_a_person_tokens(words: Sequence[str], a: int, b: int) -> bool:
    """``not_a_person`` on tokens (a tokenised corpus has no character offsets)."""
    span = " ".join(words[a:b])
    if _INITIALS_ONLY.fullmatch(span) or span.lower() in NOT_PERSONS or is_place(span):
        return True
    nxt = words[b : b + 2]
    return span.endswith("-") or (len(nxt) == 2 and nxt[0] == "-" and nxt[1].lower() in ("og", "eller"))


#: Party abbreviations written after a politician's name in Norwegian news: "Anniken Hauglie (H)".
PARTY_ABBREVIATIONS = frozenset("H Ap A Frp FrP Sp SV V KrF MDG R Rødt PP INP".split())
#: Compounds ending in these are role titles too: "visepolitimester", "vaktleder", "partisekretær".
ROLE_SUFFIXES = (
    "leder",
    "leiar",
    "sjef",
    "direktør",
    "ordfører",
    "politimester",
    "minister",
    "representant",
    "sekretær",
    "talsperson",
    "kandidat",
)
#: Definite endings stripped before the suffix test: "partilederen", "avdelingsleiaren".
_DEFINITE = ("en", "a", "n")


def _role_word(low: str) -> bool:
    if low in PUBLIC_ROLE_WORDS:
        return True
    if len(low) <= 7:
        return False
    return low.endswith(ROLE_SUFFIXES) or any(
        low.endswith(d) and low[: -len(d)].endswith(ROLE_SUFFIXES) for d in _DEFINITE
    )


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    return _read_list(PLACES_PATH)


@lru_cache(maxsize=1)
def public_persons() -> frozenset[str]:
    return _read_list(PUBLIC_PERSONS_PATH)


def _read_list(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def is_place(span: str) -> bool:
    """A place or country name ("Ungarn"), also in the genitive ("Ungarns", "Norges")."""
    span = " ".join(span.split())
    p = places()
    return span in p or (len(span) > 3 and span[-1] == "s" and span[:-1] in p)


def public_role(words: Sequence[str], a: int, b: int) -> tuple[bool | None, str | None]:
    """A public-role word just before the name, or right after it in an apposition (", ordfører i X"),
    or a party abbreviation in brackets after it ("(H)")."""
    for j in range(max(0, a - 3), a):
        low = words[j].lower()
        if _role_word(low) or (j == a - 1 and low in TITLE_WORDS):
            return True, words[j]
    if b + 2 < len(words) and words[b] == "(" and words[b + 1] in PARTY_ABBREVIATIONS and words[b + 2] == ")":
        return True, f"({words[b + 1]})"
    if b < len(words) and words[b] in (",", "(", "–", "-"):
        for j in range(b + 1, min(len(words), b + 3)):
            low = words[j].lower()
            if _role_word(low) or low in TITLE_WORDS:
                return True, words[j]
    return None, None
