"""English word lists and a seeded generator of sentences, titles, names, numbers and dates.

Every word list below is typed in this file (no downloads). Sentences follow a few simple
grammatical templates (noun phrase, verb, object, prepositional phrases) so that text reads
like real prose at a glance. All output is plain ASCII, so it renders in every bundled font.
"""
import random

NOUNS = """
account action activity address advantage advice agency agreement amount analysis answer
approach area argument arrangement article aspect assessment assistance attention audience
authority balance base basis behavior benefit board body book branch budget building business
capacity capital care case category cause center chance change chapter character charge choice
circumstance claim class client climate code collection college combination comment committee
community company comparison competition component concept concern condition conference
connection consequence consideration construction consumer contact content context contract
contribution control cost council country county course court coverage credit culture customer
cycle data date deal decade decision degree delivery demand department deposit design detail
development device difference difficulty direction director discussion distribution district
division document effect effort element employee energy engine environment equipment estimate
evaluation event evidence example exchange executive exercise expansion experience expert
explanation expression extension extent facility factor family feature fee field figure file
film finding firm flow focus force forecast form format foundation framework function fund
future gain goal government grade grant group growth guidance guide health history holder home
hour house idea image impact implementation importance improvement incentive income increase
index individual industry influence information infrastructure initiative input instance
institution instruction instrument insurance intelligence interest interface interval
investment invoice issue item job journal judgment key knowledge labor land language law layer
leader learning lease letter level library license limit line link list literature loan location
machine maintenance majority management manager manufacturer market material matter measure
measurement mechanism media meeting member memory message method model module moment month
motion movement name nature need network notice number object objective observation occasion
office officer operation opinion opportunity option order organization outcome output owner
package page panel paper parameter part participant partner party pattern payment performance
period permission person perspective phase picture piece place plan platform point policy
portion position possibility potential power practice preparation presence pressure price
principle priority procedure process product production profile profit program progress project
property proposal protection provider provision purpose quality quantity quarter question range
rate ratio reaction reader reality reason record reduction reference region regulation
relationship release report representative request requirement research resource response
responsibility result revenue review right risk role rule safety sale sample scale schedule
scheme science scope screen section sector security segment selection sense sequence series
service session set settlement share shift signal site situation size skill software solution
source space speaker specification staff stage standard statement station status step stock
storage strategy strength structure student study style subject success summary supply support
surface survey system table target task team technique technology term test text theory thing
threshold time tool topic total trade training transfer transition treatment trend trial type
unit university update usage user value variable variety vehicle version view volume week weight
window work worker year
""".split()

SCIENCE_NOUNS = """
accuracy algorithm annotation architecture baseline benchmark bias classifier cluster coefficient
convergence correlation corpus covariance dataset decoder density detector dimension
distillation embedding encoder entropy epoch error estimator experiment feature gradient graph
hypothesis inference kernel label layout loss matrix metric network neuron noise optimizer
parameter precision prediction prior probability projection recall regression representation
residual sample segmentation signal simulation spectrum student teacher tensor threshold token
trajectory transformer validation variance vector weight
""".split()

BUSINESS_NOUNS = """
account balance bill carrier charge check client contract credit customer delivery deposit
discount dividend equity expense freight inventory invoice ledger liability margin merchandise
order payment payroll pension premium purchase quotation receipt refund rent retailer revenue
salary shipment shipping subscription subtotal supplier tax tenant transaction vendor warranty
""".split()

ADJECTIVES = """
able accurate active actual additional adequate advanced annual appropriate available average
basic beneficial brief broad central certain challenging clear close common comparable complete
complex comprehensive considerable consistent constant continuous conventional corresponding
critical current daily deep detailed different difficult direct distinct domestic dominant
early economic effective efficient electronic entire environmental equal essential existing
expected explicit external extensive fair familiar federal final financial fine first flexible
following formal former frequent full fundamental further general global good great high
historical human ideal immediate important improved independent individual industrial initial
integrated intensive interesting internal international key large late leading legal likely
limited linear local logical long low main major manual marginal maximum medical minimal minor
mobile modern monthly moderate multiple mutual national natural necessary negative net new
nominal normal notable novel numerous objective obvious official open operational optimal
original overall particular past personal physical popular positive possible potential
practical preliminary present previous primary principal prior private productive professional
proper public qualitative quantitative quarterly random rapid rare real reasonable recent
regional regular related relative relevant reliable remaining remote representative required
residential responsible robust rural safe scientific secondary separate serious several
significant similar simple single small social special specific stable standard strategic
strong structural substantial successful sufficient suitable superior technical temporary
theoretical total traditional typical uniform unique universal unusual upper urban useful
valid valuable various visual vital weekly whole wide
""".split()

VERBS = """
accept achieve acquire add address adjust adopt affect allow analyze apply approve argue
arrange assess assign assist assume attach attempt attract avoid balance believe benefit build
calculate capture carry change check clarify collect combine commit compare complete compute
concern conclude conduct confirm connect consider consist constitute construct contain continue
contribute control convert cover create define deliver demonstrate depend describe design
detect determine develop differ discuss display distribute divide document enable encourage
enhance ensure establish estimate evaluate examine exceed exhibit expand expect explain explore
express extend extract facilitate follow form generate govern guide handle highlight identify
illustrate implement improve include increase indicate influence inform introduce investigate
involve maintain manage measure meet minimize modify monitor motivate observe obtain operate
organize outline perform predict prepare present preserve prevent produce promote propose
protect provide publish pursue receive recommend record reduce reflect regard relate release
remain remove replace report represent require resolve respond restore retain reveal review
satisfy secure select serve share show simplify solve specify succeed suggest summarize supply
support sustain test track train transform update use validate vary verify
""".split()

ADVERBS = """
accordingly actually additionally already also approximately carefully clearly closely
consequently considerably consistently currently directly easily effectively efficiently
especially essentially eventually explicitly finally frequently fully further generally
gradually greatly here however independently initially largely likely mainly moreover mostly
naturally nevertheless notably often particularly partly previously primarily quickly rarely
readily recently relatively significantly similarly simply slightly specifically strongly
substantially successfully therefore thus typically usually widely
""".split()

PREPOSITIONS = """
about above across after against along among around at before behind below beneath beside
between beyond by during for from in inside into near of on onto outside over through
throughout toward under upon within without
""".split()

CONJUNCTIONS = ["and", "but", "while", "although", "because", "since", "whereas", "so that", "as", "unless"]
DETERMINERS = ["the", "the", "the", "a", "this", "each", "every", "our", "their", "its", "any", "such a"]
PLURAL_DETERMINERS = ["the", "the", "these", "those", "all", "many", "several", "some", "most", "few", "both"]
SENTENCE_OPENERS = [
    "In addition", "However", "As a result", "For example", "In practice", "In this case",
    "At the same time", "On the other hand", "In particular", "Furthermore", "Finally",
    "In contrast", "To this end", "Overall", "As expected", "In the meantime", "Therefore",
]
RELATIVE = ["which", "that"]

IRREGULAR_PAST = {"build": "built", "hold": "held", "meet": "met", "show": "showed", "spend": "spent"}

SECTION_TITLES = """
Introduction|Background|Related Work|Problem Statement|Methodology|Method|Approach|Data Collection
|Experimental Setup|Experiments|Results|Discussion|Analysis|Evaluation|Conclusion|Conclusions
|Future Work|Limitations|Implementation Details|Ablation Study|Overview|Summary|Scope
|Definitions|General Provisions|Terms and Conditions|Financial Highlights|Risk Factors
|Management Discussion|Outlook|Market Overview|Operating Results|Product Description
|Installation|Safety Instructions|Maintenance|Troubleshooting|Technical Data|Requirements
|System Architecture|Performance Evaluation|Case Study|Recommendations|Appendix|Acknowledgments
|Corporate Governance|Sustainability Report|Revenue Recognition|Liquidity and Capital Resources
|Scope of Application|Claims|Description of the Invention|Preliminary Results|Study Design
""".replace("\n", "").split("|")

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark
Margaret Donald Sandra Steven Ashley Paul Kimberly Andrew Emily Joshua Donna Kenneth Michelle
Kevin Carol Brian Amanda George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca Jason
Laura Jeffrey Helen Ryan Sharon Jacob Cynthia Gary Kathleen Nicholas Amy Eric Anna Jonathan Ruth
Stephen Olivia Larry Maria Frank Sophie Peter Claire Henry Julia Walter Grace Hans Elena Pierre
Marco Yuki Wei Priya Ahmed Lars Ingrid Carlos Lucia
""".split()

LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Turner Phillips
Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Peterson Cooper Reed
Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray James Hughes Price
Sanders Myers Long Ross Foster Fischer Weber Schneider Rossi Bianchi Tanaka Suzuki Chen Wang
Kumar Patel Jensen Larsen Novak Dubois Moreau Silva Costa
""".split()

COMPANY_STEMS = """
Acme Apex Atlas Summit Pioneer Horizon Meridian Vertex Zenith Crescent Harbor Beacon Keystone
Northwind Bluewater Redwood Silverline Granite Evergreen Oakridge Lakeside Riverside Frontier
Liberty Pacific Atlantic Continental Allied United General Consolidated Standard National
Sterling Cardinal Falcon Phoenix Orion Nova Quantum Vector Sigma Delta Omega Triad Unity
""".split()
COMPANY_SECTORS = """
Industries Systems Technologies Logistics Manufacturing Pharmaceuticals Foods Energy Holdings
Partners Consulting Capital Insurance Software Analytics Electronics Materials Tobacco Chemicals
Services Solutions Supply Packaging Motors Networks Laboratories Research Media Marketing
""".split()
COMPANY_SUFFIXES = ["Inc.", "LLC", "Ltd.", "Corp.", "Co.", "Group", "plc", "GmbH", "S.A.", ""]

CITIES = [
    ("New York", "NY"), ("Chicago", "IL"), ("Boston", "MA"), ("Seattle", "WA"), ("Austin", "TX"),
    ("Denver", "CO"), ("Atlanta", "GA"), ("Portland", "OR"), ("Phoenix", "AZ"), ("Richmond", "VA"),
    ("Raleigh", "NC"), ("Columbus", "OH"), ("Nashville", "TN"), ("Madison", "WI"), ("Dallas", "TX"),
    ("San Diego", "CA"), ("San Jose", "CA"), ("Baltimore", "MD"), ("Louisville", "KY"),
    ("Minneapolis", "MN"), ("Pittsburgh", "PA"), ("Cleveland", "OH"), ("Tampa", "FL"),
    ("Charlotte", "NC"), ("Sacramento", "CA"), ("Omaha", "NE"), ("Albany", "NY"), ("Hartford", "CT"),
    ("Salt Lake City", "UT"), ("Kansas City", "MO"), ("Winston-Salem", "NC"), ("Greensboro", "NC"),
]
STREET_NAMES = """
Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Church Market Mill River Spring Center
Franklin Highland Jefferson Madison Lincoln Chestnut Walnut Sunset Broad Water Union Bridge
""".split()
STREET_TYPES = ["Street", "Avenue", "Road", "Drive", "Lane", "Boulevard", "Way", "Court", "Place", "Parkway"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
JOB_TITLES = """
Director of Operations|Senior Analyst|Project Manager|Vice President|Research Scientist
|Account Executive|Chief Financial Officer|Software Engineer|Marketing Manager|Sales Representative
|Office Manager|General Counsel|Product Manager|Data Scientist|Research Assistant
|Regional Manager|Quality Engineer|Consultant|Laboratory Technician|Executive Assistant
|Brand Manager|Procurement Specialist|Human Resources Manager|Plant Manager|Controller
""".replace("\n", "").split("|")
DEGREES = ["B.S. in", "B.A. in", "M.S. in", "M.A. in", "Ph.D. in", "MBA,", "B.Eng. in", "M.Eng. in"]
FIELDS = """
Computer Science|Economics|Chemistry|Mechanical Engineering|Business Administration|Physics
|Mathematics|Biology|Marketing|Finance|Statistics|Electrical Engineering|Public Health
|Accounting|Psychology|Political Science|Materials Science|Information Systems
""".replace("\n", "").split("|")
SKILLS = """
Python|SQL|Excel|Project planning|Negotiation|Public speaking|Data analysis|Budgeting|Java
|Technical writing|Team leadership|Statistics|Machine learning|Customer relations|Scheduling
|Contract review|Quality control|Process improvement|Market research|Spanish|French|German
|Supply chain|Forecasting|Cloud computing|Product design|Financial modeling|Recruiting
""".replace("\n", "").split("|")
PRODUCTS = """
Office chair|Printer paper|Toner cartridge|Laptop stand|Wireless mouse|Monitor arm|Desk lamp
|Filing cabinet|Shipping boxes|Packing tape|Safety gloves|Cleaning supplies|Consulting hours
|Software license|Annual maintenance|Installation service|Training session|Cable set
|Hard drive|Network switch|Label printer|Storage shelf|Whiteboard|Conference phone|Delivery fee
|Replacement filter|Steel bracket|Hydraulic pump|Circuit board|Sensor module|Paint supplies
""".replace("\n", "").split("|")
NEWSPAPERS = ["The Daily Herald", "The Morning Post", "City Tribune", "The Evening Star", "Valley Gazette",
              "The Chronicle", "Harbor Times", "The Weekly Courier", "The Observer", "Metro Journal"]


def _plural(noun):
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _third_person(verb):
    if verb.endswith(("s", "x", "ch", "sh")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _past(verb):
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _article(word):
    return "an" if word[0] in "aeiou" else "a"


class TextGenerator:
    """Seeded source of English text: sentences, titles, names, addresses, numbers and dates.

    `domain` ("general", "science" or "business") biases the nouns towards that field.
    """

    def __init__(self, rng: random.Random, domain="general"):
        self.rng = rng
        extra = {"science": SCIENCE_NOUNS, "business": BUSINESS_NOUNS}.get(domain, [])
        self.nouns = NOUNS + extra * 4

    def noun(self):
        """A noun of the domain."""
        return self.rng.choice(self.nouns)

    def word(self):
        """One random content word."""
        pick = self.rng.random()
        if pick < 0.55:
            return self.noun()
        if pick < 0.85:
            return self.rng.choice(ADJECTIVES)
        return self.rng.choice(VERBS)

    def words(self, n):
        """`n` random content words."""
        return [self.word() for _ in range(n)]

    def _noun_phrase(self, allow_pp=True):
        """(phrase, plural): a determiner, maybe an adjective, a noun and maybe 'of the ...'."""
        r = self.rng
        noun = self.noun()
        adjective = r.choice(ADJECTIVES) + " " if r.random() < 0.5 else ""
        plural = r.random() < 0.35
        if plural:
            phrase = f"{r.choice(PLURAL_DETERMINERS)} {adjective}{_plural(noun)}"
        else:
            det = r.choice(DETERMINERS)
            head = adjective + noun
            if det == "a":
                det = _article(head)
            elif det == "such a":
                det = "such " + _article(head)
            phrase = f"{det} {head}"
        if allow_pp and r.random() < 0.3:
            phrase += f" of the {self.noun()}"
        return phrase, plural

    def _clause(self):
        r = self.rng
        subject, plural = self._noun_phrase()
        verb = r.choice(VERBS)
        form = r.random()
        if form < 0.45:
            verb_phrase = _past(verb)
        elif form < 0.8:
            verb_phrase = verb if plural else _third_person(verb)
        else:
            verb_phrase = r.choice(["can", "may", "should", "will", "must", "could"]) + " " + verb
        if r.random() < 0.2:
            verb_phrase = r.choice(ADVERBS) + " " + verb_phrase
        parts = [subject, verb_phrase, self._noun_phrase()[0]]
        for _ in range(r.choice((0, 1, 1, 2))):
            parts.append(f"{r.choice(PREPOSITIONS)} {self._noun_phrase(allow_pp=False)[0]}")
        return " ".join(parts)

    def sentence(self):
        """One sentence of 8 to 35 words ending with a period."""
        r = self.rng
        text = self._clause()
        pick = r.random()
        if pick < 0.25:
            text += f", {r.choice(RELATIVE)} {_past(r.choice(VERBS))} {self._noun_phrase()[0]}"
        elif pick < 0.45:
            text += f" {r.choice(CONJUNCTIONS)} {self._clause()}"
        if r.random() < 0.12:
            text += f" ({self.number_in_text()})"
        if r.random() < 0.15:
            text = f"{r.choice(SENTENCE_OPENERS)}, {text}"
        return text[0].upper() + text[1:] + "."

    def sentences(self, n):
        """`n` sentences as one string."""
        return " ".join(self.sentence() for _ in range(n))

    def paragraph_words(self, min_words, max_words):
        """Word tokens of whole sentences, stopping once at least `min_words` (at most ~`max_words`)."""
        target = self.rng.randint(min_words, max(min_words, max_words))
        tokens = []
        while len(tokens) < target:
            tokens.extend(self.sentence().split())
        return tokens

    def phrase(self, n_min=2, n_max=5, title_case=True):
        """A short noun-heavy phrase (table header, label, chart legend)."""
        r = self.rng
        n = r.randint(n_min, n_max)
        words = [r.choice(ADJECTIVES) if i < n - 1 and r.random() < 0.4 else self.noun() for i in range(n)]
        if n >= 4 and r.random() < 0.5:
            words.insert(n // 2, r.choice(["of", "for", "and", "in"]))
        return " ".join(w.capitalize() if title_case and w not in ("of", "for", "and", "in") else w for w in words)

    def title(self):
        """A document title such as 'Robust Estimation of Market Risk for Regional Networks'."""
        r = self.rng
        pattern = r.random()
        if pattern < 0.3:
            text = f"{self.phrase(2, 3)} for {self.phrase(2, 3)}"
        elif pattern < 0.5:
            text = f"Towards {self.phrase(2, 4)}"
        elif pattern < 0.7:
            text = f"{self.phrase(1, 2)}: {self.phrase(3, 5)}"
        elif pattern < 0.85:
            text = f"On the {self.phrase(1, 2)} of {self.phrase(2, 3)}"
        else:
            text = f"{self.phrase(2, 3)} and {self.phrase(2, 3)} in {self.phrase(1, 2)}"
        return text

    def section_title(self):
        """A section heading (a common one, or a short phrase)."""
        return self.rng.choice(SECTION_TITLES) if self.rng.random() < 0.7 else self.phrase(1, 4)

    def first_name(self):
        """A first name."""
        return self.rng.choice(FIRST_NAMES)

    def last_name(self):
        """A last name."""
        return self.rng.choice(LAST_NAMES)

    def person(self, initial=False):
        """'Mary Smith' or, with `initial`, 'M. Smith'."""
        first = self.first_name()
        if initial:
            first = first[0] + "."
        return f"{first} {self.last_name()}"

    def company(self):
        """A company name such as 'Atlas Logistics Inc.'."""
        r = self.rng
        name = r.choice(COMPANY_STEMS) if r.random() < 0.7 else self.last_name()
        suffix = r.choice(COMPANY_SUFFIXES)
        return f"{name} {r.choice(COMPANY_SECTORS)} {suffix}".strip()

    def street(self):
        """A street address such as '12 Oak Avenue'."""
        r = self.rng
        return f"{r.randint(1, 9899)} {r.choice(STREET_NAMES)} {r.choice(STREET_TYPES)}"

    def city_line(self):
        """'City, ST 12345'."""
        city, state = self.rng.choice(CITIES)
        return f"{city}, {state} {self.rng.randint(10000, 99899):05d}"

    def address_lines(self, with_name=True):
        """Two to four address lines: name or company, street, optional suite, city/state/zip."""
        lines = [self.person() if self.rng.random() < 0.5 else self.company()] if with_name else []
        lines.append(self.street())
        if self.rng.random() < 0.3:
            lines.append(f"Suite {self.rng.randint(100, 990)}")
        lines.append(self.city_line())
        return lines

    def phone(self):
        """'(555) 123-4567'."""
        r = self.rng
        return f"({r.randint(201, 989)}) {r.randint(200, 989)}-{r.randint(0, 9999):04d}"

    def email(self, name=None):
        """An e-mail address made from a person name."""
        name = name or self.person()
        first, last = name.replace(".", "").split()[:2]
        domain = self.rng.choice(COMPANY_STEMS).lower()
        return f"{first[0].lower()}{last.lower()}@{domain}.{self.rng.choice(['com', 'org', 'net'])}"

    def year(self):
        """A year from 1968 to 2024."""
        return self.rng.randint(1968, 2024)

    def date(self, style=None):
        """A date in one of several styles ('March 4, 1998', '03/04/1998', '1998-03-04', '4 March 1998')."""
        r = self.rng
        year, month, day = self.year(), r.randint(1, 12), r.randint(1, 28)
        style = style if style is not None else r.randint(0, 3)
        if style == 0:
            return f"{MONTHS[month - 1]} {day}, {year}"
        if style == 1:
            return f"{month:02d}/{day:02d}/{year}"
        if style == 2:
            return f"{year}-{month:02d}-{day:02d}"
        return f"{day} {MONTHS[month - 1]} {year}"

    def integer(self, low=0, high=9999, grouped=True):
        """An integer, with thousands separators if `grouped`."""
        value = self.rng.randint(low, high)
        return f"{value:,}" if grouped else str(value)

    def number_in_text(self):
        """A short parenthetical with a number, e.g. 'n = 214', 'see Table 3', 'p = 0.04'."""
        r = self.rng
        return r.choice([
            f"n = {r.randint(12, 4000)}",
            f"see Table {r.randint(1, 9)}",
            f"see Figure {r.randint(1, 12)}",
            f"p = 0.{r.randint(1, 49):02d}",
            f"{r.uniform(1, 99):.1f}%",
            f"Section {r.randint(1, 7)}.{r.randint(1, 5)}",
            f"{self.year()}",
        ])

    def product(self):
        """A product or service name."""
        return self.rng.choice(PRODUCTS)

    def job_title(self):
        """A job title."""
        return self.rng.choice(JOB_TITLES)

    def degree(self):
        """An academic degree such as 'M.S. in Physics'."""
        return f"{self.rng.choice(DEGREES)} {self.rng.choice(FIELDS)}"

    def skill(self):
        """A skill for a resume."""
        return self.rng.choice(SKILLS)

    def newspaper(self):
        """A newspaper name."""
        return self.rng.choice(NEWSPAPERS)
