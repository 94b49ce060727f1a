"""The target schemas of bemanning's tables, for the shared column mapping and editor
(:mod:`kommuneki.ingest.tabular_mapping`): the aggregated history ``date,unit,absent[,staff]``, the
absence records ``person,unit,from,to,type`` of an HR or rota export, and the rota export
``person,date,shift,from,to[,unit][,extra]`` (planned shifts per person; the staffing proposal counts the
planned staff per unit, day and shift from it, and the rota repair reads the same file).

A mapping file for either is the shared format: field → the export's column, an optional
``date_format`` (strftime, e.g. ``%d.%m.%Y``; without it ISO dates, ``dd.mm.yyyy`` and Excel serial
numbers are read), and for the records ``type_values``: the export's absence types → ours.
"""

from __future__ import annotations

from ....ingest.tabular_mapping import Category, Field, Schema

HISTORY = Schema(
    name="bemanning.history",
    fields=(
        Field("date", "Dato", kind="date", required=True, synonyms=("dato", "dag"), plural="datoene"),
        Field("unit", "Enhet", required=True, synonyms=("enhet", "avdeling")),
        Field(
            "absent",
            "Fravær (antall personer borte)",
            kind="number",
            required=True,
            synonyms=("fravaer", "fravaerende", "syke"),
        ),
        Field(
            "staff",
            "Planlagt bemanning (antall ansatte)",
            kind="number",
            synonyms=("ansatte", "bemanning", "planlagt"),
        ),
    ),
    excel_dates=True,
)

# Our absence types: the three unplanned ones are counted; planned absence (ferie, permisjon …) is not.
PLANNED = "planlagt"
TYPES = (
    Category("egenmeldt", "Egenmeldt", ("egenmeldt", "egenmelding", "egenm")),
    Category("legemeldt", "Legemeldt (sykmelding)", ("legemeldt", "sykmelding", "sykemelding", "sykmeldt")),
    Category("sykt_barn", "Sykt barn", ("sykt_barn", "syk_barn", "barns_sykdom", "sykt_barn_omsorg")),
    Category(
        PLANNED,
        "Planlagt (ferie, permisjon): telles ikke",
        ("ferie", "permisjon", "avspasering", "kurs", "foreldrepermisjon", "fri"),
    ),
)
RECORDS = Schema(
    name="bemanning.records",
    fields=(
        Field(
            "person",
            "Person (ansattnummer eller navn)",
            required=True,
            synonyms=("ansatt", "ansattnr", "ansattnummer", "navn"),
        ),
        Field("unit", "Enhet", required=True, synonyms=("enhet", "avdeling")),
        Field(
            "from",
            "Fra dato",
            kind="date",
            required=True,
            synonyms=("fra", "fra_dato", "fom"),
            plural="fra-datoene",
        ),
        Field(
            "to",
            "Til dato",
            kind="date",
            required=True,
            synonyms=("til", "til_dato", "tom"),
            plural="til-datoene",
        ),
        Field(
            "type",
            "Fraværstype",
            kind="category",
            required=True,
            synonyms=("fravaerstype", "aarsak"),
            categories=TYPES,
        ),
    ),
    excel_dates=True,
    examples=False,  # a column may hold persons: no value of the file in a message
)
TYPE_FIELD = RECORDS.field("type")

ROTA = Schema(
    name="bemanning.rota",
    fields=(
        Field("person", "Person (ansattnummer eller navn)", required=True, synonyms=("ansatt", "navn")),
        Field("date", "Dato", kind="date", required=True, synonyms=("dato", "dag"), plural="datoene"),
        Field("shift", "Vakt (navnet i turnusen)", required=True, synonyms=("vakt", "vaktkode", "vakttype")),
        Field("from", "Fra klokkeslett", required=True, synonyms=("fra", "start", "fra_kl")),
        Field("to", "Til klokkeslett", required=True, synonyms=("til", "slutt", "til_kl")),
        Field("unit", "Enhet", synonyms=("enhet", "avdeling", "arbeidssted")),
        Field("extra", "Ekstravakt (ja/nei)", synonyms=("ekstra", "ekstravakt")),
    ),
    excel_dates=True,
    examples=False,  # a column holds persons: no value of the file in a message
)
