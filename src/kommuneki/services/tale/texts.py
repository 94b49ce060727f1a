"""Page text of the tale pages in the tenant's målform (``Tenant.malform``: bokmål or nynorsk), as the
KI register's public page does (``governance.public.TEXTS``). Every key exists in both; a test checks it.
The service's error messages (``DomainError``, what a nurse sees on a page, in the API or on a failed job)
and the job's progress text follow it too (:data:`ERRORS`, :func:`error`); the engine's own messages
(``AudioError``, ``ModelMissing``, bokmål, also printed by the CLI) are translated by their text or code
(:func:`audio_error`, :func:`model_error`)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "bokmal": {
        "lang": "nb",
        "title": "Tale til tekst",
        "lead": "Ta opp eller last opp et diktat. Det skrives ut på kommunens egen maskin, og du leser, "
        "retter og godkjenner notatet før du limer det inn i journalen. Bare du (og en kollega du velger) "
        "kan se opptaket.",
        "record_link": "Ta opp diktat",
        "upload_heading": "Last opp lydfil",
        "file_label": "Lydfil (WAV, MP3, M4A, OGG/Opus eller WebM)",
        "basis_legend": "Grunnlag for opptaket",
        "upload_button": "Last opp og skriv ut",
        "mine": "Mine opptak",
        "col_recording": "Opptak",
        "col_received": "Mottatt",
        "col_state": "Status",
        "dictation": "Diktat",
        "colleague_mark": "(kollega)",
        "state_received": "Mottatt",
        "state_transcribed": "Til gjennomlesing",
        "state_approved": "Godkjent",
        "state_failed": "Feilet",
        "removed": "(slettet)",
        "no_recordings": "Du har ingen opptak.",
        "record_title": "Ta opp diktat",
        "insecure": "Mikrofonen virker bare på en sikker side (https://) eller på denne maskinen "
        "(localhost). Be driftsansvarlig om https, eller last opp en lydfil i stedet.",
        "unsupported": "Nettleseren kan ikke ta opp lyd. Last opp en lydfil i stedet.",
        "noscript_before": "Opptak krever JavaScript. Du kan",
        "noscript_link": "laste opp en lydfil",
        "noscript_after": "uten.",
        "start": "Start opptak",
        "stop": "Stopp",
        "ready": "Klar.",
        "send": "Send til utskrift",
        "kept_note": "Opptaket lagres i nettleseren til det er sendt, og slettes der når serveren har "
        "tatt imot det. Mister du nettet, sendes det når du trykker «Send» igjen.",
        "back": "Tilbake til mine opptak",
        "js_unsent": "Et opptak som ikke er sendt, ligger i nettleseren. Trykk «Send til utskrift».",
        "js_saved": "Opptaket er lagret i nettleseren. Lytt gjennom, og send det til utskrift.",
        "js_recording": "Tar opp …",
        "js_no_mic": "Fikk ikke tilgang til mikrofonen. Tillat mikrofon i nettleseren, eller last opp en "
        "lydfil.",
        "js_sending": "Sender …",
        "js_failed": "Sendingen feilet. Opptaket er fortsatt lagret i nettleseren: prøv igjen når du "
        "har nett.",
        "received": "Mottatt",
        "basis": "Grunnlag",
        "failed": "Utskriften feilet:",
        "not_yet": "Diktatet er ikke skrevet ut ennå.",
        "model": "Modell",
        "language": "språk",
        "lang_nn": "nynorsk",
        "lang_no": "bokmål",
        "seconds_audio": "s lyd",
        "dropped": "avsnitt ble ikke tatt med (stillhet, støy eller gjentakelse).",
        "transcript": "Utskrift",
        "marked_words": "Ord med {mark} er usikre (sannsynlighet under {percent} %). Avsnitt merket "
        "«Kontroller» kan være feil eller oppdiktet.",
        "marking": "markering",
        "no_speech": "Ingen tale funnet i opptaket.",
        "play": "Spill av",
        "segment": "avsnitt",
        "check": "Kontroller:",
        "flag_low_confidence": "lav sikkerhet",
        "flag_repetition": "gjentakelse",
        "flag_high_compression": "mulig løkke",
        "flag_no_speech": "mulig ikke tale",
        "probability": "Sannsynlighet",
        "approved_heading": "Godkjent notat",
        "approved_at": "Godkjent",
        "approved_wer": "Ordfeilrate mellom utkast og godkjent notat:",
        "check_before_paste": "Sjekk før du limer inn: teksten nevner",
        "third_parties": "Opplysninger om andre enn pasienten hører ikke hjemme i pasientens journal.",
        "export_label": "Tekst til journalen (kopier og lim inn i fagsystemet)",
        "download_text": "Last ned som tekst",
        "deleted_after_export": "Teksten og notatet slettes automatisk etter eksport og etter kommunens "
        "slettefrist.",
        "note_heading": "Notat – les, rett og godkjenn",
        "fields_caption": "Målinger og legemidler funnet i teksten",
        "col_type": "Type",
        "col_value": "Verdi",
        "col_words": "Fra ordene",
        "check_mentions": "Sjekk: teksten nevner",
        "remove_third": "Fjern opplysninger om andre enn pasienten før du godkjenner.",
        "approve": "Godkjenn notatet",
        "approve_note": "Når du godkjenner, slettes lyden. Notatet er et forslag til du godkjenner det.",
        "only_recorder": "Bare den som tok opp kan godkjenne.",
        "colleague_heading": "Kollega med lesetilgang",
        "colleague_note": "Én navngitt kollega kan lese dette opptaket (tjenstlig behov). Tomt felt fjerner "
        "tilgangen.",
        "username": "Brukernavn",
        "save": "Lagre",
        "flash_choose_file": "Velg en lydfil.",
        "flash_approved": "Notatet er godkjent og lyden er slettet.",
        "flash_colleague": "Tilgangen for kollega er lagret.",
    },
    "nynorsk": {
        "lang": "nn",
        "title": "Tale til tekst",
        "lead": "Ta opp eller last opp eit diktat. Det blir skrive ut på maskina til kommunen, og du les, "
        "rettar og godkjenner notatet før du limer det inn i journalen. Berre du (og ein kollega du vel) "
        "kan sjå opptaket.",
        "record_link": "Ta opp diktat",
        "upload_heading": "Last opp lydfil",
        "file_label": "Lydfil (WAV, MP3, M4A, OGG/Opus eller WebM)",
        "basis_legend": "Grunnlag for opptaket",
        "upload_button": "Last opp og skriv ut",
        "mine": "Opptaka mine",
        "col_recording": "Opptak",
        "col_received": "Motteke",
        "col_state": "Status",
        "dictation": "Diktat",
        "colleague_mark": "(kollega)",
        "state_received": "Motteke",
        "state_transcribed": "Til gjennomlesing",
        "state_approved": "Godkjent",
        "state_failed": "Feila",
        "removed": "(sletta)",
        "no_recordings": "Du har ingen opptak.",
        "record_title": "Ta opp diktat",
        "insecure": "Mikrofonen verkar berre på ei sikker side (https://) eller på denne maskina "
        "(localhost). Be driftsansvarleg om https, eller last opp ei lydfil i staden.",
        "unsupported": "Nettlesaren kan ikkje ta opp lyd. Last opp ei lydfil i staden.",
        "noscript_before": "Opptak krev JavaScript. Du kan",
        "noscript_link": "laste opp ei lydfil",
        "noscript_after": "utan.",
        "start": "Start opptak",
        "stop": "Stopp",
        "ready": "Klar.",
        "send": "Send til utskrift",
        "kept_note": "Opptaket blir lagra i nettlesaren til det er sendt, og blir sletta der når tenaren har "
        "teke imot det. Mistar du nettet, blir det sendt når du trykkjer «Send» igjen.",
        "back": "Tilbake til opptaka mine",
        "js_unsent": "Eit opptak som ikkje er sendt, ligg i nettlesaren. Trykk «Send til utskrift».",
        "js_saved": "Opptaket er lagra i nettlesaren. Lytt gjennom, og send det til utskrift.",
        "js_recording": "Tek opp …",
        "js_no_mic": "Fekk ikkje tilgang til mikrofonen. Tillat mikrofon i nettlesaren, eller last opp ei "
        "lydfil.",
        "js_sending": "Sender …",
        "js_failed": "Sendinga feila. Opptaket er framleis lagra i nettlesaren: prøv igjen når du har nett.",
        "received": "Motteke",
        "basis": "Grunnlag",
        "failed": "Utskrifta feila:",
        "not_yet": "Diktatet er ikkje skrive ut enno.",
        "model": "Modell",
        "language": "språk",
        "lang_nn": "nynorsk",
        "lang_no": "bokmål",
        "seconds_audio": "s lyd",
        "dropped": "avsnitt vart ikkje tekne med (stille, støy eller gjentaking).",
        "transcript": "Utskrift",
        "marked_words": "Ord med {mark} er usikre (sannsyn under {percent} %). Avsnitt merkte «Kontroller» "
        "kan vere feil eller dikta opp.",
        "marking": "markering",
        "no_speech": "Inga tale funnen i opptaket.",
        "play": "Spel av",
        "segment": "avsnitt",
        "check": "Kontroller:",
        "flag_low_confidence": "låg tryggleik",
        "flag_repetition": "gjentaking",
        "flag_high_compression": "mogleg løkkje",
        "flag_no_speech": "kanskje ikkje tale",
        "probability": "Sannsyn",
        "approved_heading": "Godkjent notat",
        "approved_at": "Godkjent",
        "approved_wer": "Ordfeilrate mellom utkast og godkjent notat:",
        "check_before_paste": "Sjekk før du limer inn: teksten nemner",
        "third_parties": "Opplysningar om andre enn pasienten høyrer ikkje heime i journalen til pasienten.",
        "export_label": "Tekst til journalen (kopier og lim inn i fagsystemet)",
        "download_text": "Last ned som tekst",
        "deleted_after_export": "Teksten og notatet blir sletta automatisk etter eksport og etter "
        "slettefristen til kommunen.",
        "note_heading": "Notat – les, rett og godkjenn",
        "fields_caption": "Målingar og legemiddel funne i teksten",
        "col_type": "Type",
        "col_value": "Verdi",
        "col_words": "Frå orda",
        "check_mentions": "Sjekk: teksten nemner",
        "remove_third": "Fjern opplysningar om andre enn pasienten før du godkjenner.",
        "approve": "Godkjenn notatet",
        "approve_note": "Når du godkjenner, blir lyden sletta. Notatet er eit forslag til du godkjenner det.",
        "only_recorder": "Berre den som tok opp, kan godkjenne.",
        "colleague_heading": "Kollega med lesetilgang",
        "colleague_note": "Éin namngitt kollega kan lese dette opptaket (tenesteleg behov). Tomt felt "
        "fjernar tilgangen.",
        "username": "Brukarnamn",
        "save": "Lagre",
        "flash_choose_file": "Vel ei lydfil.",
        "flash_approved": "Notatet er godkjent, og lyden er sletta.",
        "flash_colleague": "Tilgangen for kollega er lagra.",
    },
}

BASES_NN = {
    "dokumentasjonsplikt": "Dokumentasjonsplikta (helsepersonellova §§ 39–40, personvernforordninga art. 9 "
    "nr. 2 bokstav h)",
    "samtykke": "Samtykke frå pasienten (den eigne stemma til pasienten er med i opptaket)",
}


def texts(malform: str | None) -> dict[str, str]:
    return TEXTS["nynorsk" if malform == "nynorsk" else "bokmal"]


def bases(malform: str | None, bokmal: dict[str, str]) -> dict[str, Any]:
    return BASES_NN if malform == "nynorsk" else bokmal


ERRORS: dict[str, dict[str, str]] = {
    "bokmal": {
        "not_found": "Fant ikke opptaket.",
        "not_yours": "Bare den som tok opp (og en navngitt kollega) kan lese dette opptaket.",
        "login_needed": "Bare en innlogget person kan ta opp diktat.",
        "choose_basis": "Velg grunnlag for opptaket.",
        "empty": "Lydfilen er tom.",
        "unreadable_formats": "Filen kunne ikke leses som lyd. Bruk WAV, MP3, M4A, OGG/Opus eller WebM.",
        "unreadable": "Filen kunne ikke leses som lyd.",
        "no_track": "Filen har ikke noe lydspor.",
        "no_sound": "Filen inneholder ingen lyd som kunne leses.",
        "too_long": "Opptaket er lengre enn fire timer. Del det opp og last opp delene.",
        "audio_deleted": "Lyden er slettet.",
        "approve_own": "Bare den som tok opp kan godkjenne notatet.",
        "not_pending": "Notatet er allerede godkjent, eller ikke skrevet ut ennå.",
        "empty_note": "Notatet er tomt. Skriv inn teksten eller forkast opptaket.",
        "unknown_format": "Ukjent format.",
        "approve_first": "Notatet må godkjennes før det eksporteres.",
        "colleague_own": "Bare den som tok opp kan gi en kollega tilgang.",
        "no_colleague": "Fant ingen kollega med det brukernavnet som bruker tale til tekst her.",
        "self_colleague": "Du har allerede tilgang til ditt eget opptak.",
        "model_not_installed": "Talemodellen er ikke installert. Si fra til driftsansvarlig.",
        "model_incomplete": "Talemodellen er ufullstendig. Si fra til driftsansvarlig.",
        "model_checksum": "Talemodellen har feil sjekksum (SHA-256) og blir ikke brukt. Si fra til "
        "driftsansvarlig.",
        "model_not_found": "Fant ingen talemodell i mappen kommunen har valgt. Si fra til driftsansvarlig.",
        "progress_loading": "Laster talemodellen",
        "progress_transcribing": "Transkriberer",
        "progress_minutes": "Transkriberer: {done} av {total} min",
        "progress_note": "Lager notatet",
        "done": "Diktatet er skrevet ut. Les og rett notatet.",
        "summary": "Utkast fra diktat: les og rett før du godkjenner.",
        "summary_words": " {n} usikre ord er merket.",
        "summary_segments": " {n} avsnitt er merket til kontroll.",
    },
    "nynorsk": {
        "not_found": "Fann ikkje opptaket.",
        "not_yours": "Berre den som tok opp (og ein namngitt kollega) kan lese dette opptaket.",
        "login_needed": "Berre ein innlogga person kan ta opp diktat.",
        "choose_basis": "Vel grunnlag for opptaket.",
        "empty": "Lydfila er tom.",
        "unreadable_formats": "Fila kunne ikkje lesast som lyd. Bruk WAV, MP3, M4A, OGG/Opus eller WebM.",
        "unreadable": "Fila kunne ikkje lesast som lyd.",
        "no_track": "Fila har ikkje noko lydspor.",
        "no_sound": "Fila inneheld ingen lyd som kunne lesast.",
        "too_long": "Opptaket er lengre enn fire timar. Del det opp og last opp delane.",
        "audio_deleted": "Lyden er sletta.",
        "approve_own": "Berre den som tok opp kan godkjenne notatet.",
        "not_pending": "Notatet er allereie godkjent, eller ikkje skrive ut enno.",
        "empty_note": "Notatet er tomt. Skriv inn teksten eller forkast opptaket.",
        "unknown_format": "Ukjent format.",
        "approve_first": "Notatet må godkjennast før det blir eksportert.",
        "colleague_own": "Berre den som tok opp kan gi ein kollega tilgang.",
        "no_colleague": "Fann ingen kollega med det brukarnamnet som brukar tale til tekst her.",
        "self_colleague": "Du har allereie tilgang til ditt eige opptak.",
        "model_not_installed": "Talemodellen er ikkje installert. Sei frå til driftsansvarleg.",
        "model_incomplete": "Talemodellen er ufullstendig. Sei frå til driftsansvarleg.",
        "model_checksum": "Talemodellen har feil sjekksum (SHA-256) og blir ikkje brukt. Sei frå til "
        "driftsansvarleg.",
        "model_not_found": "Fann ingen talemodell i mappa kommunen har valt. Sei frå til driftsansvarleg.",
        "progress_loading": "Lastar talemodellen",
        "progress_transcribing": "Transkriberer",
        "progress_minutes": "Transkriberer: {done} av {total} min",
        "progress_note": "Lagar notatet",
        "done": "Diktatet er skrive ut. Les og rett notatet.",
        "summary": "Utkast frå diktat: les og rett før du godkjenner.",
        "summary_words": " {n} usikre ord er merkte.",
        "summary_segments": " {n} avsnitt er merkte til kontroll.",
    },
}
_KEY_OF_BOKMAL = {text: key for key, text in ERRORS["bokmal"].items()}


def error(malform: str | None, key: str, **values: Any) -> str:
    """A message of the service in the tenant's målform."""
    return ERRORS["nynorsk" if malform == "nynorsk" else "bokmal"][key].format(**values)


def audio_error(malform: str | None, message: str) -> str:
    """The engine's ``AudioError`` message (bokmål) in the tenant's målform; an unknown one as it is."""
    key = _KEY_OF_BOKMAL.get(message)
    return error(malform, key) if key else message


# ``ModelMissing.code`` → message: what a nurse sees is that the model cannot be used and whom to tell;
# the operator's detail (paths, the pip command) stays in the CLI's and the settings' bokmål message
MODEL_ERRORS = {
    "not_installed": "model_not_installed",
    "incomplete": "model_incomplete",
    "checksum": "model_checksum",
    "not_found": "model_not_found",
}


def model_error(malform: str | None, code: str) -> str:
    return error(malform, MODEL_ERRORS.get(code, "model_not_found"))
