"""The demo inbox: a seeded, reproducible generator of realistic Norwegian messages with labels.

Every message is made up (names, addresses and numbers from ``faker`` no_NO). Each category has its own
subjects and body sentences, and each pool is split in two: the ``train`` split draws only from the
first part and the ``heldout`` split only from the second (and from another seed), so a model trained on
``train`` is measured on phrasings it has never seen. Figures on this data are still figures on made-up
mail: they say the pipeline works, not how well it will do on a real kommune's inbox.

Labels per message: ``category``, ``action`` (journalfores | videresendes | slettes), ``unit`` (a demo unit
code or None), ``dokumenttype`` (Fiks Arkiv code or the tenant type INNSYNSKRAV, None unless
journalføres), ``delete_reason``, ``innsyn``, ``sensitive``, ``language``, ``case`` (saksnummer or None).
"""

from __future__ import annotations

import base64
import quopri
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime

DOMAIN = "demo.kommune.test"
POSTMOTTAK = f"postmottak@{DOMAIN}"


@dataclass
class Category:
    name: str
    action: str
    unit: str | None
    dokumenttype: str | None
    subjects: list[str]
    sentences: list[str]
    weight: float
    delete_reason: str | None = None
    innsyn: bool = False
    sensitive: bool = False
    sender: str = "citizen"  # citizen | firm | public | system | einnsyn
    case_unit: bool = False  # refers to an open case of its unit
    nynorsk: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)


J, V, S = "journalfores", "videresendes", "slettes"

CATEGORIES: list[Category] = [
    Category(
        "byggesoknad",
        J,
        "byggesak",
        "SØKNAD",
        [
            "Søknad om tillatelse til tiltak – {adresse}",
            "Byggesøknad gnr {gnr} bnr {bnr}",
            "Søknad om rammetillatelse, {adresse}",
            "Søknad om dispensasjon fra reguleringsplan",
            "Søknad: tilbygg på eneboligen i {adresse}",
            "Ettersendt dokumentasjon til byggesøknad {saksnr}",
            "Søknad om riving av garasje",
            "Søknad om oppføring av fritidsbolig gnr. {gnr}/{bnr}",
        ],
        [
            "Vedlagt følger søknad om tillatelse til oppføring av {tiltak} på eiendommen gnr {gnr} bnr "
            "{bnr}.",
            "Vi søker herved om ett-trinns tillatelse for {tiltak} i {adresse}, jf. pbl. § 20-3.",
            "Situasjonsplan, tegninger og gjenpart av nabovarsel ligger ved.",
            "Tiltaket krever dispensasjon fra byggegrensen mot vei, se vedlagt begrunnelse.",
            "Ansvarlig søker er {firma}, org.nr. {orgnr}.",
            "Det søkes om ferdigattest for {tiltak}, arbeidet ble avsluttet {dato}.",
            "Som etterspurt i brevet deres ettersender vi reviderte fasadetegninger.",
            "Vi ber om at søknaden behandles innen lovens frist på tolv uker.",
            "Søknaden gjelder bruksendring fra kontor til bolig i andre etasje.",
            "Gebyret for behandlingen vil bli betalt når faktura mottas.",
        ],
        12,
        sender="mixed",
        case_unit=True,
        nynorsk=[
            "Vedlagt ligg søknad om løyve til {tiltak} på eigedomen gnr {gnr} bnr {bnr}.",
            "Me søkjer med dette om dispensasjon frå reguleringsplanen for {tiltak}.",
        ],
    ),
    Category(
        "nabomerknad",
        J,
        "byggesak",
        "UTTALELSE",
        [
            "Merknad til nabovarsel – {adresse}",
            "Protest mot planlagt tilbygg hos naboen",
            "Nabomerknad gnr {gnr}/{bnr}",
            "Innsigelse til byggeplaner i {gate}",
            "Merknader til nabovarsel mottatt {dato}",
            "Uttalelse som nabo – sak {saksnr}",
        ],
        [
            "Jeg har mottatt nabovarsel for {tiltak} på naboeiendommen og ønsker å komme med merknader.",
            "Tiltaket vil ta utsikt og sol fra vår terrasse på ettermiddagen.",
            "Vi mener garasjen plasseres for nær tomtegrensen, under fire meter.",
            "Vi ber kommunen ta hensyn til merknadene før søknaden behandles.",
            "Økt trafikk i den smale veien vil være en fare for barna i nabolaget.",
            "Som eier av gnr {gnr} bnr {bnr} protesterer jeg mot at det gis dispensasjon.",
            "Planlagt mønehøyde er langt over det som er vanlig i området.",
            "Vi har ingen innvendinger mot selve bygget, men ber om at fjellskjæringen sikres.",
        ],
        4,
        case_unit=True,
        nynorsk=["Eg har fått nabovarsel og vil kome med merknader til tiltaket på nabotomta."],
    ),
    Category(
        "nabovarsel",
        J,
        "byggesak",
        "MELDING",
        [
            "Nabovarsel – {tiltak} i {adresse}",
            "Kopi av nabovarsel gnr {gnr} bnr {bnr}",
            "Nabovarsel sendt naboer",
            "Gjenpart nabovarsel",
        ],
        [
            "Til orientering sendes kopi av nabovarsel som er sendt berørte naboer.",
            "Nabovarselet gjelder {tiltak} på gnr {gnr} bnr {bnr}, {adresse}.",
            "Eventuelle merknader sendes ansvarlig søker innen to uker.",
            "Kvittering for rekommandert sending er vedlagt.",
            "Nabovarsel er sendt via Fellestjenester BYGG.",
            "Vi varsler herved om planlagt {tiltak} i samsvar med plan- og bygningsloven § 21-3.",
        ],
        3,
        sender="firm",
        case_unit=True,
    ),
    Category(
        "klage_bygg",
        J,
        "byggesak",
        "KLAGE",
        [
            "Klage på vedtak i byggesak {saksnr}",
            "Klage på avslag – {adresse}",
            "Klage på gebyr for byggesaksbehandling",
            "Klage på vedtak om pålegg om retting",
            "Klage – dispensasjon gnr {gnr}/{bnr}",
        ],
        [
            "Jeg klager herved på vedtaket datert {dato} i sak {saksnr}.",
            "Vedtaket bygger på feil faktum: tomten er ikke i strid med byggegrensen.",
            "Vi ber om at klagen gis oppsettende virkning til den er avgjort.",
            "Klagen er sendt innen klagefristen på tre uker, jf. forvaltningsloven § 29.",
            "Gebyret på {belop} kroner står ikke i forhold til arbeidet kommunen har gjort.",
            "Naboens tilbygg ble godkjent selv om det skygger for hele hagen vår.",
            "Jeg ber om at saken sendes Statsforvalteren dersom kommunen opprettholder vedtaket.",
        ],
        4,
        case_unit=True,
        nynorsk=["Eg klagar med dette på vedtaket i sak {saksnr} datert {dato}."],
    ),
    Category(
        "plan_uttalelse",
        J,
        "plan",
        "UTTALELSE",
        [
            "Høringsuttalelse – detaljregulering for {stedsnavn}",
            "Innspill til kommuneplanens arealdel",
            "Uttalelse til planprogram",
            "Merknad til reguleringsplan {planid}",
            "Innspel til reguleringsplan for {stedsnavn}",
        ],
        [
            "Vi viser til varsel om oppstart av planarbeid for {stedsnavn} og har følgende innspill.",
            "Planforslaget legger opp til for høy utnyttelse av området.",
            "Grøntområdet ved {stedsnavn} brukes daglig av barn og må bevares.",
            "Vi ber om at trafikksikkerhet for myke trafikanter utredes nærmere.",
            "Velforeningen støtter planen, men ber om at gang- og sykkelveien bygges først.",
            "Planbestemmelsene bør sikre støyskjerm mot riksveien.",
            "Vi ber om at eiendommen vår, gnr {gnr} bnr {bnr}, avsettes til boligformål i ny kommuneplan.",
        ],
        3,
        nynorsk=[
            "Me viser til varsel om oppstart av planarbeid og har desse innspela.",
            "Planforslaget legg opp til for høg utnytting av området.",
        ],
    ),
    Category(
        "innsyn",
        J,
        "postmottak",
        "INNSYNSKRAV",
        [
            "Innsynskrav",
            "Krav om innsyn i sak {saksnr}",
            "Begjæring om innsyn",
            "Innsyn i postlisten – dokument {saksnr}",
            "Krav om innsyn etter offentleglova",
            "Ber om kopi av dokumenter",
            "Innsynsbegjæring: {tema}",
        ],
        [
            "Jeg ber om innsyn i dokumentene i sak {saksnr}, jf. offentleglova § 3.",
            "Kan dere sende meg en kopi av {dokument} som står i postlisten fra {dato}?",
            "Jeg krever innsyn i korrespondansen mellom kommunen og {firma} om {tema}.",
            "Dokumentene kan gjerne sendes elektronisk til denne adressen.",
            "Dersom innsyn helt eller delvis avslås, ber jeg om at hjemmelen oppgis.",
            "Jeg viser til oppføring i offentlig journal og ber om å få dokumentet tilsendt.",
            "Jeg er journalist i {avis} og ber om innsyn i {dokument}.",
        ],
        4,
        innsyn=True,
        nynorsk=[
            "Eg ber om innsyn i dokumenta i sak {saksnr}, jf. offentleglova § 3.",
            "Kan de sende meg ein kopi av {dokument}?",
        ],
        english=[
            "I request access to the documents in case {saksnr} under the Norwegian Freedom of "
            "Information Act.",
            "Please send me a copy of {dokument}.",
        ],
    ),
    Category(
        "innsyn_einnsyn",
        J,
        "postmottak",
        "INNSYNSKRAV",
        [
            "Innsynskrav frå eInnsyn",
            "Innsynskrav fra eInnsyn",
            "Bestilling av dokumenter via eInnsyn",
            "eInnsyn: nytt innsynskrav",
        ],
        [
            "Følgende dokumenter er bestilt via eInnsyn:\nSaksnr: {saksnr}\nDokumentnr: "
            "{dokno}\nSaksbehandler: ",
            "Innsynskravet er sendt fra eInnsyn på vegne av {navn} ({epost}).",
            "Bestiller: {navn}\nE-post: {epost}\nDokument: {dokument}\nJournalpost: {saksnr}-{dokno}",
            "Dette er ei automatisk melding frå eInnsyn. Svar direkte til bestillaren.",
            "Kravet gjelder offentlig journal for {virksomhet} publisert {dato}.",
            "Ordrenummer: {ordrenr}. Svar sendes direkte til den som har bestilt innsyn.",
        ],
        2,
        innsyn=True,
        sender="einnsyn",
    ),
    Category(
        "barnehage_soknad",
        J,
        "oppvekst",
        "SØKNAD",
        [
            "Søknad om barnehageplass",
            "Søknad om SFO-plass for {barn}",
            "Søknad om redusert foreldrebetaling",
            "Søknad om plass i {barnehage}",
            "Søknad om bytte av barnehage",
            "Søknad om skolebytte",
        ],
        [
            "Vi søker om barnehageplass for {barn}, født {dato}, fra august.",
            "Første ønske er {barnehage}, andre ønske er nærmeste kommunale barnehage.",
            "Vi søker om 100 % SFO-plass for {barn} som begynner i første klasse ved {skole}.",
            "Husholdningens samlede inntekt er under grensen, se vedlagt skattemelding.",
            "Vi søker om redusert foreldrebetaling og gratis kjernetid.",
            "Vi ønsker å bytte fra {barnehage} til en barnehage nærmere jobb.",
            "{barn} skal flytte til {adresse} og søker om å bytte skole til {skole}.",
        ],
        5,
        nynorsk=[
            "Me søkjer om barnehageplass for {barn} frå august.",
            "Me søkjer om SFO-plass for {barn} som byrjar i første klasse ved {skole}.",
        ],
        english=["We would like to apply for a kindergarten place for our son {barn} from August."],
    ),
    Category(
        "sfo_oppsigelse",
        J,
        "oppvekst",
        "MELDING",
        [
            "Oppsigelse av SFO-plass",
            "Oppsigelse barnehageplass – {barn}",
            "Melding om flytting – skoleplass",
            "Endring av SFO-tilbud fra {maaned}",
            "Seier opp plassen i barnehagen",
        ],
        [
            "Vi sier herved opp SFO-plassen til {barn} med virkning fra 1. {maaned}.",
            "Vi flytter fra kommunen og sier opp plassen i {barnehage}.",
            "Vi ønsker å endre fra full plass til tre dager i uka.",
            "Oppsigelsestiden på én måned er kjent for oss.",
            "{barn} slutter ved {skole} etter jul fordi familien flytter.",
        ],
        3,
        nynorsk=["Me seier med dette opp SFO-plassen til {barn} frå 1. {maaned}."],
    ),
    Category(
        "klage_skole",
        J,
        "oppvekst",
        "KLAGE",
        [
            "Klage på skoleskyss",
            "Klage på vedtak om spesialundervisning",
            "Klage på behandling av vår sønn",
            "Klage – avslag på barnehageplass",
            "Bekymring og klage, {skole}",
        ],
        [
            "Vi klager på vedtaket om skoleskyss for {barn}, skoleveien er særlig farlig.",
            "{barn} har diagnosen ADHD og får ikke den oppfølgingen PPT har anbefalt.",
            "Vi mener skolen ikke har oppfylt aktivitetsplikten etter opplæringsloven § 12-4.",
            "Vi klager på avslaget på barnehageplass og viser til retten til plass.",
            "Vårt barn blir mobbet og skolen har ikke satt inn tiltak.",
            "Vi ber om et møte med rektor ved {skole} og oppvekstsjefen.",
        ],
        2,
        sensitive=True,
    ),
    Category(
        "helse_soknad",
        J,
        "helse-omsorg",
        "SØKNAD",
        [
            "Søknad om hjemmesykepleie",
            "Søknad om plass på sykehjem for min mor",
            "Søknad om omsorgsstønad",
            "Søknad om trygghetsalarm",
            "Søknad om praktisk bistand",
            "Søknad om avlastning",
            "Søknad om støttekontakt",
        ],
        [
            "Jeg søker om hjemmesykepleie for {navn}, som har fått diagnosen demens.",
            "Min mor er 87 år, har falt flere ganger og klarer seg ikke lenger hjemme.",
            "Jeg søker om omsorgsstønad for pleie av sønnen min som har autisme.",
            "Fastlegen har anbefalt korttidsopphold etter sykehusinnleggelsen.",
            "Vedlagt følger legeerklæring og epikrise fra sykehuset.",
            "Jeg har kols og trenger hjelp til innkjøp og rengjøring.",
            "Vi søker om avlastning to helger i måneden.",
            "Søknaden gjelder trygghetsalarm etter hjerteinfarkt i {maaned}.",
        ],
        4,
        sensitive=True,
        nynorsk=[
            "Eg søkjer om heimesjukepleie for mor mi, som har fått diagnosen demens.",
            "Far min klarer seg ikkje lenger heime etter hjerneslaget.",
        ],
    ),
    Category(
        "eiendomsskatt_klage",
        J,
        "eiendomsskatt",
        "KLAGE",
        [
            "Klage på eiendomsskatt {aar}",
            "Klage på takst – gnr {gnr} bnr {bnr}",
            "Klage på eigedomsskatt",
            "Feil i eiendomsskattetaksten",
        ],
        [
            "Jeg klager på eiendomsskatten for gnr {gnr} bnr {bnr} for {aar}.",
            "Taksten er satt altfor høyt sammenlignet med boligen naboen solgte i fjor.",
            "Boligarealet er registrert med {kvm} kvm, riktig areal er vesentlig mindre.",
            "Huset har store fuktskader og er ikke verdt det kommunen har lagt til grunn.",
            "Jeg ber sakkyndig nemnd vurdere taksten på nytt.",
            "Eiendommen er en landbrukseiendom og skal ikke ha eiendomsskatt på våningshuset.",
        ],
        3,
        case_unit=False,
        nynorsk=[
            "Eg klagar på eigedomsskatten for gnr {gnr} bnr {bnr}.",
            "Taksten er sett altfor høgt samanlikna med huset naboen selde i fjor.",
        ],
    ),
    Category(
        "politisk",
        J,
        "politisk-sekretariat",
        "KORR",
        [
            "Brev til ordføreren",
            "Innbyggerforslag: {tema}",
            "Spørsmål til kommunestyret",
            "Åpent brev om nedleggelse av {skole}",
            "Henvendelse til formannskapet",
            "Innspill til budsjett {aar}",
        ],
        [
            "Vi ønsker å løfte {tema} som et innbyggerforslag etter kommuneloven § 12-1.",
            "Underskriftslisten med {antall} underskrifter er vedlagt.",
            "Vi ber ordføreren svare på hvorfor {skole} foreslås lagt ned.",
            "Saken bør behandles i kommunestyret før sommeren.",
            "Vi håper politikerne prioriterer {tema} i budsjettet for neste år.",
            "Ungdomsrådet ber om å få uttale seg i saken.",
        ],
        2,
        nynorsk=["Me ønskjer å løfte {tema} som eit innbyggjarforslag."],
    ),
    Category(
        "anbud",
        J,
        "okonomi",
        "KORR",
        [
            "Tilbud på {anskaffelse}",
            "Tilbud – konkurranse {ref}",
            "Spørsmål til konkurransegrunnlaget",
            "Signert avtale – {anskaffelse}",
            "Kontraktsforslag fra {firma}",
        ],
        [
            "Vedlagt følger vårt tilbud på {anskaffelse} i henhold til konkurransegrunnlaget.",
            "Tilbudet er gyldig i 90 dager fra tilbudsfristen.",
            "Vi har et spørsmål til kravspesifikasjonen punkt 3.2.",
            "Signert kontrakt returneres i henhold til avtalen.",
            "{firma} bekrefter at skatteattest og HMS-egenerklæring er vedlagt.",
            "Vi tar forbehold om prisjustering etter indeks.",
        ],
        2,
        sender="firm",
    ),
    # --- forwarded ---------------------------------------------------------------------------------
    Category(
        "faktura",
        V,
        "okonomi",
        "FAKTURA",
        [
            "Faktura {fakturanr}",
            "Faktura fra {firma}",
            "Invoice {fakturanr}",
            "Ny faktura – forfall {dato}",
            "Faktura for {maaned}",
            "Kreditnota {fakturanr}",
        ],
        [
            "Vedlagt følger faktura {fakturanr} på kr {belop} med forfall {dato}.",
            "Beløpet betales til konto {kontonr}. Husk å merke betalingen med KID {kid}.",
            "Fakturaen gjelder levering av {vare} til {virksomhet}.",
            "Vennligst send fakturaer som EHF i fremtiden, org.nr. {orgnr}.",
            "Kreditnotaen erstatter tidligere feilsendt faktura.",
            "Ta kontakt med regnskap@{firmadomene} ved spørsmål om fakturaen.",
        ],
        7,
        sender="firm",
        english=["Please find attached invoice {fakturanr} for NOK {belop}, due {dato}."],
    ),
    Category(
        "purring",
        V,
        "okonomi",
        "FAKTURA",
        [
            "Purring – faktura {fakturanr}",
            "Betalingspåminnelse",
            "Inkassovarsel",
            "Påminnelse om ubetalt faktura",
        ],
        [
            "Vi kan ikke se å ha mottatt betaling for faktura {fakturanr}.",
            "Dersom beløpet ikke betales innen 14 dager, sendes saken til inkasso.",
            "Purregebyr på kr 35 er lagt til.",
            "Ser dere bort fra denne påminnelsen hvis beløpet allerede er betalt.",
        ],
        2,
        sender="firm",
    ),
    Category(
        "teknisk",
        V,
        "teknisk-drift",
        None,
        [
            "Hull i veien i {gate}",
            "Gatelyset er ute",
            "Vannlekkasje ved {adresse}",
            "Brøyting i {gate}",
            "Tett kum",
            "Søppeldunken ble ikke tømt",
            "Feil på vannmåler",
            "Glatt fortau ved {skole}",
        ],
        [
            "Det er et stort hull i asfalten i {gate} like ved krysset.",
            "Gatelysene langs {gate} har vært slukket i en uke.",
            "Det renner vann opp fra en kum utenfor {adresse}.",
            "Veien har ikke vært brøytet siden i går morges.",
            "Restavfallet ble ikke hentet på tømmedagen.",
            "Vannmåleren viser et forbruk som umulig kan stemme.",
            "Fortauet er blankt og barna sklir på vei til skolen.",
            "Kan noen fra kommunen se på det snart?",
        ],
        8,
        nynorsk=["Det er eit stort hol i asfalten i {gate}.", "Vegen har ikkje vore brøyta sidan i går."],
        english=["There is a big pothole in {gate} near the crossing."],
    ),
    Category(
        "oppvekst_sporsmal",
        V,
        "oppvekst",
        None,
        [
            "Spørsmål om SFO i sommerferien",
            "Åpningstider i barnehagen",
            "Planleggingsdager",
            "Spørsmål om skolestart",
            "Ferie-SFO",
            "Foreldremøte",
        ],
        [
            "Når er planleggingsdagene i barnehagen til høsten?",
            "Er SFO åpen i vinterferien, og hvordan melder vi på?",
            "Hva skal barna ha med seg første skoledag ved {skole}?",
            "Når kommer svar på opptaket til barnehage?",
            "Hvordan melder vi fravær for {barn}?",
        ],
        4,
        english=["When does school start in August, and how do we register {barn}?"],
    ),
    Category(
        "helse_sporsmal",
        V,
        "helse-omsorg",
        None,
        [
            "Spørsmål om helsestasjonen",
            "Timebestilling vaksine",
            "Besøkstid på sykehjemmet",
            "Spørsmål om hjemmetjenesten",
            "Kontaktinformasjon fysioterapi",
        ],
        [
            "Når har helsestasjonen åpent for drop-in?",
            "Hvordan bestiller jeg time til influensavaksine?",
            "Hva er besøkstidene på {sykehjem} i julen?",
            "Hjemmetjenesten kom ikke i dag, kan noen ringe meg?",
            "Jeg trenger time hos fysioterapeut etter operasjonen i kneet.",
        ],
        3,
    ),
    Category(
        "nav",
        V,
        "nav",
        None,
        ["Sosialhjelp", "Spørsmål til NAV-kontoret", "Nødhjelp", "Timeavtale NAV", "Husleie og strøm"],
        [
            "Jeg har ikke penger til mat denne måneden og trenger nødhjelp.",
            "Jeg søkte om økonomisk sosialhjelp for tre uker siden og har ikke fått svar.",
            "Kan jeg få hjelp til å betale strømregningen?",
            "Jeg har fått avslag på dagpenger og vet ikke hva jeg skal gjøre.",
            "Min veileder i NAV har sluttet, hvem skal jeg kontakte?",
        ],
        3,
        sensitive=True,
    ),
    Category(
        "bygg_sporsmal",
        V,
        "byggesak",
        None,
        [
            "Trenger jeg å søke?",
            "Spørsmål om terrasse",
            "Spørsmål om byggesak",
            "Regler for levegg",
            "Forhåndskonferanse",
        ],
        [
            "Må jeg søke om å bygge en terrasse på 25 kvm i hagen?",
            "Hvor nær nabogrensen kan jeg sette opp en levegg?",
            "Jeg lurer på om jeg kan bygge garasje uten å søke.",
            "Vi ønsker en forhåndskonferanse om et mulig tilbygg.",
            "Hvor lang er saksbehandlingstiden for byggesaker nå?",
        ],
        3,
        english=["Do I need a permit to build a small shed in the garden?"],
    ),
    Category(
        "plan_sporsmal",
        V,
        "plan",
        None,
        ["Spørsmål om kart", "Oppmåling av tomtegrense", "Hvilken reguleringsplan gjelder?", "Matrikkelbrev"],
        [
            "Hvilken reguleringsplan gjelder for eiendommen gnr {gnr} bnr {bnr}?",
            "Vi er uenige med naboen om hvor grensen går og ønsker oppmåling.",
            "Kan jeg få tilsendt kart over eiendommen?",
            "Hvor finner jeg kommuneplanen digitalt?",
        ],
        2,
    ),
    Category(
        "mote_invitasjon",
        V,
        "politisk-sekretariat",
        None,
        [
            "Invitasjon: regionrådsmøte {dato}",
            "Møteinnkalling – interkommunalt samarbeid",
            "Invitasjon til konferanse for folkevalgte",
        ],
        [
            "Ordføreren og rådmannen inviteres til møte i regionrådet {dato}.",
            "Saksliste og sakspapirer kommer i egen e-post.",
            "Påmelding innen {dato} til sekretariatet.",
            "Møtet holdes digitalt på Teams.",
        ],
        2,
        sender="public",
    ),
    # --- deleted -----------------------------------------------------------------------------------
    Category(
        "spam",
        S,
        None,
        None,
        [
            "Du har vunnet!",
            "Bekreft kontoen din",
            "Viktig melding om pakken din",
            "Urgent business proposal",
            "Rask lånesvar – uten sikkerhet",
            "Din postkasse er full",
        ],
        [
            "Klikk på lenken for å hente premien din før fristen går ut.",
            "Pakken din kan ikke leveres. Betal 29 kr i toll her.",
            "Din konto blir stengt om 24 timer dersom du ikke bekrefter passordet.",
            "I am a banker with a confidential proposal worth USD 14 million.",
            "Få lån på 500 000 kr uten sikkerhet, svar innen 1 time!",
            "Postkassen din er full. Logg inn her for å få mer lagringsplass.",
        ],
        5,
        delete_reason="spam",
        sender="spam",
        english=["Dear friend, you have been selected for a cash prize. Click here to claim."],
    ),
    Category(
        "nyhetsbrev",
        S,
        None,
        None,
        [
            "Nyhetsbrev {maaned}",
            "Ukens tilbud fra {firma}",
            "Invitasjon til webinar",
            "KS nyhetsbrev",
            "Kurs i offentlige anskaffelser",
            "Nytt fra {firma}",
        ],
        [
            "Les mer om årets nyheter på nettsiden vår.",
            "Meld deg på vårt gratis webinar om digitalisering i kommunene.",
            "Denne uken får du 20 % rabatt på alle kontorrekvisita.",
            "Du mottar denne e-posten fordi du har abonnert på nyhetsbrevet vårt.",
            "Avslutt abonnementet her.",
            "Kurset gir en praktisk innføring i anskaffelsesregelverket.",
        ],
        6,
        delete_reason="newsletter",
        sender="newsletter",
    ),
    Category(
        "autosvar",
        S,
        None,
        None,
        [
            "Automatisk svar: {emne}",
            "Fravær: {emne}",
            "Out of Office: {emne}",
            "Autosvar",
            "Ferie – automatisk svar",
            "Fråvær: {emne}",
        ],
        [
            "Jeg er på ferie til {dato} og leser ikke e-post.",
            "Takk for din e-post. Jeg er tilbake {dato}.",
            "I am out of the office until {dato} with limited access to e-mail.",
            "Ved hastesaker, kontakt sentralbordet.",
            "Eg har ferie og er tilbake på kontoret {dato}.",
        ],
        4,
        delete_reason="auto_reply",
        sender="autoreply",
    ),
    Category(
        "lesekvittering",
        S,
        None,
        None,
        ["Lest: {emne}", "Read: {emne}", "Levert: {emne}"],
        [
            "Meldingen ble lest {dato}.",
            "Your message was read on {dato}.",
            "Meldingen ble levert til mottakeren.",
        ],
        2,
        delete_reason="read_receipt",
        sender="receipt",
    ),
    Category(
        "retur",
        S,
        None,
        None,
        [
            "Undeliverable: {emne}",
            "Kan ikke leveres: {emne}",
            "Mail delivery failed: returning message to sender",
            "Delivery Status Notification (Failure)",
        ],
        [
            "Meldingen kunne ikke leveres til en eller flere mottakere.",
            "550 5.1.1 The email account that you tried to reach does not exist.",
            "Mottakerens postkasse er full.",
            "Delivery has failed to these recipients or groups.",
        ],
        2,
        delete_reason="bounce",
        sender="bounce",
    ),
]
CATEGORY_BY_NAME = {c.name: c for c in CATEGORIES}

SLOTS = {
    "tiltak": [
        "tilbygg",
        "garasje",
        "enebolig",
        "tomannsbolig",
        "terrasse over 15 kvm",
        "carport",
        "boligblokk med 12 leiligheter",
        "fritidsbolig",
        "bruksendring",
        "støttemur",
        "påbygg",
    ],
    "tema": [
        "skolestruktur",
        "gatelys i sentrum",
        "ny idrettshall",
        "eiendomsskatt",
        "legevakt",
        "vindkraft",
        "sykehjemsplasser",
        "kollektivtilbudet",
        "badeplassen",
        "flyktningmottak",
    ],
    "dokument": [
        "tilsynsrapporten",
        "avtalen med entreprenøren",
        "vedtaket om skolebytte",
        "referatet fra oppstartsmøtet",
        "søknaden om dispensasjon",
        "saksframlegget",
        "e-postene om anbudet",
    ],
    "avis": ["Romerikes Blad", "lokalavisen", "Nettavisen", "NRK"],
    "virksomhet": ["kommunen", "teknisk etat", "oppvekst", "helse og omsorg", "Demo kommune"],
    "stedsnavn": ["Sagatunet", "Nordbyfeltet", "Kirkebakken", "Storåsen", "Elvebredden", "Sentrum vest"],
    "anskaffelse": [
        "brøytetjenester",
        "IKT-utstyr til skolene",
        "renhold",
        "matlevering til sykehjem",
        "konsulenttjenester",
        "vedlikehold av kommunale veier",
    ],
    "vare": ["kontorrekvisita", "møbler", "kaffe og frukt", "lisenser", "strøsand", "arbeidsklær"],
    "sykehjem": ["Solbakken sykehjem", "Eikelund bo- og omsorgssenter", "Furuheim"],
    "emne": ["Møte neste uke", "Søknad", "Faktura", "Spørsmål", "Re: henvendelse", "Innkalling"],
    "maaned": [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
}
GREETINGS_NB = [
    "Hei,",
    "Hei!",
    "Til Demo kommune",
    "Hei postmottak",
    "God dag,",
    "Til den det gjelder,",
    "Hallo",
    "",
]
GREETINGS_NN = ["Hei,", "Til Demo kommune", "God dag,", ""]
CLOSINGS_NB = ["Med vennlig hilsen", "Mvh", "Hilsen", "Vennlig hilsen", "Takk på forhånd.\nHilsen", ""]
CLOSINGS_NN = ["Med venleg helsing", "Helsing", "Mvh", ""]
FILLERS = [
    "Beklager sent svar.",
    "Ta gjerne kontakt om noe er uklart.",
    "Jeg ringte i går, men fikk ikke svar.",
    "Sender denne på nytt da jeg ikke har hørt noe.",
    "Håper dette er riktig adresse.",
    "Jeg har prøvd å finne svar på nettsiden uten hell.",
    "Se vedlegg.",
    "Takk for hjelpen!",
]


@dataclass
class DemoCase:
    saksnummer: str
    title: str
    unit: str
    gnr: int | None
    bnr: int | None
    address: str | None
    party: str


@dataclass
class DemoMessage:
    raw: bytes
    labels: dict
    received: datetime


def _split(items: list[str], split: str) -> list[str]:
    """Training gets the first two thirds of a pool, held-out the last third (at least one each)."""
    if len(items) == 1:
        return items
    cut = max(1, min(len(items) - 1, round(len(items) * 2 / 3)))
    return items[:cut] if split == "train" else items[cut:]


class _Fill(dict):
    def __init__(self, rng: random.Random, fake, extra: dict):
        super().__init__(extra)
        self.rng, self.fake = rng, fake

    def __missing__(self, key: str) -> str:
        r, f = self.rng, self.fake
        if key in SLOTS:
            v = r.choice(SLOTS[key])
        elif key == "gnr":
            v = str(r.randint(1, 140))
        elif key == "bnr":
            v = str(r.randint(1, 400))
        elif key == "saksnr":
            v = f"{r.choice([2023, 2024, 2025, 2025, 2025])}/{r.randint(10, 4999)}"
        elif key == "dato":
            v = (datetime(2025, 1, 1) + timedelta(days=r.randint(0, 420))).strftime(
                r.choice(["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"])
            )
        elif key == "belop":
            v = f"{r.randint(200, 250000):,}".replace(",", " ")
        elif key in ("fakturanr", "ordrenr"):
            v = str(r.randint(10000, 999999))
        elif key == "kid":
            v = str(r.randint(10**9, 10**12))
        elif key == "kontonr":
            v = f"{r.randint(1000, 9999)}.{r.randint(10, 99)}.{r.randint(10000, 99999)}"
        elif key == "orgnr":
            v = f"9{r.randint(10**7, 10**8 - 1)}"
        elif key == "adresse":
            v = f.street_address()
        elif key == "gate":
            v = f.street_name()
        elif key == "navn":
            v = f.name()
        elif key == "barn":
            v = f.first_name()
        elif key == "epost":
            v = f.email()
        elif key == "firma":
            v = f.company()
        elif key == "firmadomene":
            v = f.domain_name()
        elif key == "skole":
            v = f"{r.choice(['Nordby', 'Sørbråten', 'Kirkeby', 'Haugen', 'Fjellstad'])} skole"
        elif key == "barnehage":
            v = f"{r.choice(['Solsikken', 'Trollskogen', 'Blåbærtua', 'Eventyrhagen', 'Marihøna'])} barnehage"
        elif key == "planid":
            v = f"{r.randint(2015, 2025)}{r.randint(100, 999)}"
        elif key == "aar":
            v = str(r.choice([2024, 2025, 2026]))
        elif key == "kvm":
            v = str(r.randint(60, 320))
        elif key in ("dokno", "antall"):
            v = str(r.randint(1, 400))
        elif key == "ref":
            v = f"{r.randint(2024, 2025)}-{r.randint(1, 99):03d}"
        else:
            v = key
        self[key] = v
        return v


def generate_cases(seed: int = 7, n: int = 120) -> list[DemoCase]:
    """Open cases (saksmapper) the demo tenant 'imports', referred to by some demo messages."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("no_NO")
    fake.seed_instance(seed)
    units = ["byggesak"] * 6 + ["plan", "oppvekst", "helse-omsorg", "eiendomsskatt", "okonomi"]
    cases = []
    for i in range(n):
        unit = rng.choice(units)
        gnr, bnr = rng.randint(1, 140), rng.randint(1, 400)
        addr = fake.street_address()
        party = fake.name()
        tiltak = rng.choice(SLOTS["tiltak"])
        title = {
            "byggesak": f"{addr} – gnr {gnr} bnr {bnr} – {tiltak}",
            "plan": f"Detaljregulering {rng.choice(SLOTS['stedsnavn'])}",
            "oppvekst": f"Skoleplass og tilrettelegging – {party}",
            "helse-omsorg": f"Helse- og omsorgstjenester – {party}",
            "eiendomsskatt": f"Eiendomsskatt gnr {gnr} bnr {bnr}",
            "okonomi": f"Anskaffelse av {rng.choice(SLOTS['anskaffelse'])}",
        }[unit]
        cases.append(
            DemoCase(
                f"{rng.choice([2024, 2025])}/{1000 + i * 7 + rng.randint(0, 6)}",
                title,
                unit,
                gnr if unit in ("byggesak", "eiendomsskatt") else None,
                bnr if unit in ("byggesak", "eiendomsskatt") else None,
                addr if unit == "byggesak" else None,
                party,
            )
        )
    return cases


def _typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :] if rng.random() < 0.5 else w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _received(rng: random.Random) -> datetime:
    day = datetime(2025, 1, 2, tzinfo=timezone.utc) + timedelta(days=rng.randint(0, 360))
    if day.weekday() >= 5 and rng.random() < 0.7:  # less mail at weekends
        day += timedelta(days=7 - day.weekday())
    return day + timedelta(
        hours=rng.choice([6, 7, 8, 8, 9, 9, 10, 11, 12, 13, 14, 15, 19, 22]),
        minutes=rng.randint(0, 59),
        seconds=rng.randint(0, 59),
    )


def generate(
    n: int, *, split: str = "train", seed: int | None = None, cases: list[DemoCase] | None = None
) -> Iterator[DemoMessage]:
    """Yield ``n`` labelled messages. ``split`` is ``train`` or ``heldout``: the two draw on disjoint
    subjects and sentences; the default seed differs per split too."""
    from faker import Faker

    if split not in ("train", "heldout"):
        raise ValueError("split must be train or heldout")
    seed = seed if seed is not None else (20251 if split == "train" else 90417)
    rng = random.Random(seed)
    fake = Faker("no_NO")
    fake.seed_instance(seed)
    cases = cases if cases is not None else generate_cases()
    weights = [c.weight for c in CATEGORIES]
    for _ in range(n):
        cat = rng.choices(CATEGORIES, weights)[0]
        yield _make(rng, fake, cat, split, cases)


def generate_category(
    name: str, n: int, *, split: str = "heldout", seed: int = 1, cases: list[DemoCase] | None = None
) -> list[DemoMessage]:
    """``n`` messages of one category (for demos that must show a particular kind of mail)."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("no_NO")
    fake.seed_instance(seed)
    cases = cases if cases is not None else generate_cases()
    return [_make(rng, fake, CATEGORY_BY_NAME[name], split, cases) for _ in range(n)]


def _sender(rng, fake, cat: Category) -> tuple[str, str, str]:
    """(display name, address, signature)."""
    kind = cat.sender
    if kind == "mixed":
        kind = rng.choice(["citizen", "firm", "firm"])
    if kind == "citizen":
        name = fake.name()
        user = name.lower().replace(" ", ".").replace("æ", "ae").replace("ø", "o").replace("å", "a")
        addr = f"{user}@{rng.choice(['gmail.com', 'hotmail.com', 'online.no', 'outlook.com', 'icloud.com'])}"
        sig = (
            name
            + (f"\n{fake.street_address()}\n{fake.postcode()} {fake.city()}" if rng.random() < 0.5 else "")
            + (f"\nTlf. {fake.phone_number()}" if rng.random() < 0.5 else "")
        )
        return name, addr, sig
    if kind in ("firm", "newsletter"):
        firm = fake.company()
        dom = firm.lower().split(" ")[0].strip(",.&") or "firma"
        dom = dom.replace("æ", "ae").replace("ø", "o").replace("å", "a") + ".no"
        person = fake.name()
        local = (
            rng.choice(["post", "faktura", "salg", "nyhetsbrev", "info"])
            if kind == "newsletter" or rng.random() < 0.5
            else person.split(" ")[0].lower().replace("ø", "o").replace("å", "a").replace("æ", "ae")
        )
        sig = f"{person}\n{firm}\nOrg.nr. 9{rng.randint(10**7, 10**8 - 1)}" if kind == "firm" else firm
        return (firm if kind == "newsletter" else person), f"{local}@{dom}", sig
    if kind == "public":
        return "Regionrådet", "post@regionraadet.test", "Sekretariatet for regionrådet"
    if kind == "einnsyn":
        return "eInnsyn", rng.choice(["ikkje-svar@einnsyn.no", "no-reply@einnsyn.no"]), ""
    if kind == "spam":
        return (
            rng.choice(["Premieavdelingen", "Kundeservice", "Posten Norge", "IT-support", "Mr. Johnson"]),
            fake.user_name()
            + "@"
            + rng.choice(["mail-secure.biz", "post-no.xyz", "win-prize.top", "gmail.com"]),
            "",
        )
    if kind == "autoreply":
        name = fake.name()
        return (
            name,
            name.split(" ")[0].lower().replace("ø", "o").replace("å", "a").replace("æ", "ae")
            + "@"
            + fake.domain_name(),
            "",
        )
    if kind == "receipt":
        name = fake.name()
        return name, f"{fake.user_name()}@{fake.free_email_domain()}", ""
    return (
        "Mail Delivery System",
        rng.choice(["MAILER-DAEMON@mx.demo.kommune.test", "postmaster@outlook.com"]),
        "",
    )


def _make(rng: random.Random, fake, cat: Category, split: str, cases: list[DemoCase]) -> DemoMessage:
    case = None
    extra: dict[str, str] = {}
    if cat.case_unit and rng.random() < 0.7:
        pool = [c for c in cases if c.unit == cat.unit]
        if pool:
            case = rng.choice(pool)
            extra = {
                "saksnr": case.saksnummer,
                "gnr": str(case.gnr or ""),
                "bnr": str(case.bnr or ""),
                "adresse": case.address or fake.street_address(),
            }
            if rng.random() < 0.4:  # refers to the case only by address and property, not by number
                extra["saksnr"] = ""
    fill = _Fill(rng, fake, extra)
    roll = rng.random()
    language = "nb"
    pool = _split(cat.sentences, split)
    if cat.nynorsk and roll < 0.15:
        pool, language = cat.nynorsk, "nn"
    elif cat.english and roll > 0.93:
        pool, language = cat.english, "en"
    subject = rng.choice(_split(cat.subjects, split)).format_map(fill)
    if "saksnr" in extra and not extra["saksnr"]:
        subject = subject.replace(" sak ", " saken ").replace("  ", " ")
    k = min(len(pool), rng.choice([1, 1, 2, 2, 3, 4]))
    sentences = [s.format_map(fill) for s in rng.sample(pool, k)]
    if rng.random() < 0.3:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FILLERS))
    if case is not None and rng.random() < 0.5 and extra["saksnr"]:
        sentences.append(
            rng.choice(
                [
                    f"Viser til saksnummer {case.saksnummer}.",
                    f"Deres ref.: {case.saksnummer}",
                    f"(sak {case.saksnummer})",
                ]
            )
        )
    name, address, signature = _sender(rng, fake, cat)
    system = cat.sender in ("autoreply", "receipt", "bounce", "einnsyn", "spam", "newsletter")
    greet = "" if system else rng.choice(GREETINGS_NN if language == "nn" else GREETINGS_NB)
    close = "" if system else rng.choice(CLOSINGS_NN if language == "nn" else CLOSINGS_NB)
    body = "\n\n".join(p for p in [greet, " ".join(sentences), f"{close}\n{signature}".strip()] if p)
    if rng.random() < 0.08 and not system:
        body = _typo(rng, body)
    if rng.random() < 0.05 and not system:
        subject = ""  # people do send without a subject
    if rng.random() < 0.12 and not system:
        body += (
            "\n\n-----Opprinnelig melding-----\nFra: "
            + fake.name()
            + "\nSendt: "
            + fill["dato"]
            + "\nEmne: "
            + rng.choice(SLOTS["emne"])
            + "\n> "
            + rng.choice(FILLERS)
        )
    received = _received(rng)
    domain = address.split("@")[-1]
    headers = [
        ("From", _addr_header(name, address)),
        ("To", POSTMOTTAK),
        ("Subject", _enc(subject)),
        ("Date", format_datetime(received)),
        ("Message-ID", f"<{uuid.UUID(int=rng.getrandbits(128)).hex}@{domain}>"),
        ("MIME-Version", "1.0"),
    ]
    if cat.name == "autosvar" and rng.random() < 0.8:
        headers.append(("Auto-Submitted", "auto-replied"))
        if rng.random() < 0.5:
            headers.append(("X-Autoreply", "yes"))
    if cat.name == "nyhetsbrev" and rng.random() < 0.7:
        headers += [("List-Unsubscribe", f"<mailto:unsubscribe@{domain}>"), ("Precedence", "bulk")]
    text_part = _text_part(body, qp=rng.random() < 0.3)
    if cat.name in ("lesekvittering", "retur") and rng.random() < 0.85:
        report = "disposition-notification" if cat.name == "lesekvittering" else "delivery-status"
        if report == "delivery-status":
            fields = (
                f"Reporting-MTA: dns; mx.{DOMAIN}\r\n\r\nFinal-Recipient: rfc822; {fake.email()}\r\n"
                "Action: failed\r\nStatus: 5.1.1\r\n"
            )
        else:
            fields = (
                f"Reporting-UA: {fake.domain_name()}\r\nFinal-Recipient: rfc822; {address}\r\n"
                "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
            )
        boundary = f"=_report_{rng.getrandbits(48):x}"
        headers.append(("Content-Type", f'multipart/report; report-type={report}; boundary="{boundary}"'))
        payload = (
            f"--{boundary}\r\n".encode()
            + text_part
            + f"\r\n--{boundary}\r\nContent-Type: message/{report}"
            f"\r\n\r\n{fields}\r\n--{boundary}--\r\n".encode()
        )
    elif (cat.action == J and rng.random() < 0.35 and cat.name != "innsyn_einnsyn") or (
        cat.name == "faktura" and rng.random() < 0.6
    ):
        boundary = f"=_mixed_{rng.getrandbits(48):x}"
        headers.append(("Content-Type", f'multipart/mixed; boundary="{boundary}"'))
        payload = (
            f"--{boundary}\r\n".encode()
            + text_part
            + f"\r\n--{boundary}\r\n".encode()
            + _attachment(rng, cat, fill, pool)
            + f"\r\n--{boundary}--\r\n".encode()
        )
    else:
        head, _, payload = text_part.partition(b"\r\n\r\n")
        headers += [tuple(h.split(": ", 1)) for h in head.decode().split("\r\n")]
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n" + payload
    labels = {
        "category": cat.name,
        "action": cat.action,
        "unit": cat.unit,
        "dokumenttype": cat.dokumenttype if cat.action == J else None,
        "delete_reason": cat.delete_reason,
        "innsyn": cat.innsyn,
        "sensitive": cat.sensitive,
        "language": language,
        "case": case.saksnummer if case else None,
        "split": split,
    }
    return DemoMessage(raw=raw, labels=labels, received=received)


def _enc(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _addr_header(name: str, address: str) -> str:
    if not name:
        return address
    return f'"{name}" <{address}>' if name.isascii() else f"{Header(name, 'utf-8').encode()} <{address}>"


def _text_part(body: str, *, qp: bool) -> bytes:
    data = body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    if qp:
        return (
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + quopri.encodestring(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        )
    return b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + data


def _attachment(rng: random.Random, cat: Category, fill: _Fill, pool: list[str]) -> bytes:
    names = {
        "faktura": ["faktura.txt", "invoice.txt"],
        "byggesoknad": ["situasjonsplan.txt", "soknad.txt"],
        "helse_soknad": ["legeerklaering.txt"],
        "klage_bygg": ["klage.txt"],
    }
    name = rng.choice(names.get(cat.name, ["vedlegg.txt", "dokument.txt"]))
    text = " ".join(s.format_map(fill) for s in rng.sample(pool, min(2, len(pool))))
    b64 = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: text/plain; charset=utf-8; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'
    ).encode() + b64
