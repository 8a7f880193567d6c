"""Boilerplate removal for plain-text page dumps (no markup to go by).

trafilatura and jusText keep teaser lists and blog tails when a page has been
flattened to text, so this module finds the article span from the lines alone:

1. ``parse_header`` strips the scraper's `` date YYYY-MM-DD`` header line, and a
   renderer's hard wraps and Markdown are undone (``transforms.extract.reflow``).
2. Each line is classified: cruft (navigation, skip links, share buttons,
   cookie and comment-policy notices, photo credits, "Play video", timestamps),
   a boundary ("Comments", "More stories", "Sponsored"), a byline, or text; a
   list item (a renderer's ``*``/``+``/``o``/``•`` bullet or ``1.``) loses its
   marker and counts as prose only when it is a long sentence. Text lines are
   scored as prose (sentence length, terminal punctuation, stopword density,
   not all capitals) and for topic (vocabulary overlap with the article's
   other core paragraphs).
3. The article span is the maximum-scoring run of lines (Kadane), so a teaser
   rail of one-sentence summaries separated by captions and timestamps scores
   below zero and ends the span, while a short subheading between two
   paragraphs does not. Runs of four or more short lines (menus, link lists)
   cost more per line than a lone subheading; a rail heading ("Related", "Most
   Popular", "Leia também") costs a lot but can be crossed by a long article on
   both sides, and the teasers under it are then left out (``_demote_rail_teasers``).
   A short gap of non-prose lines (an inline box) is crossed when on-topic prose
   lies beyond it (``_glue``). Two shapes a renderer leaves are read too: a list
   whose items each hold a headline and a one-paragraph summary indented under
   its bullet, off the topic of the rest, is a teaser list (``_mark_teaser_lists``);
   rows laid out in the same columns are a data table, kept with the article
   around it (``_mark_tables``).
4. A comments heading ends the article, but only once real article prose
   (``TAIL_AFTER_WORDS`` words) precedes it: a "12 Comments" link by the byline
   or a "Newsletter signup" box above the article must not end it before it
   starts.

Everything here is general (line length, list shape, punctuation, position,
repetition, vocabulary); nothing names a site. Measured on 181 real pages
rendered to text in ``make bench-quality``.

Public: ``clean_text``, ``parse_header``, ``find_credit``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from typing import Iterable, List, Optional, Sequence

from transforms.extract.reflow import dump_lines
from transforms.model import Extracted
from transforms.tokens import words as words_of

__all__ = ["clean_text", "forget_read_lines", "parse_header", "find_credit", "classify_line", "page_title",
           "latin_share", "STOPWORDS", "FUNCTION_WORDS", "LATIN_DUMP_SHARE", "EXTRACTOR"]

#: ``Extracted.extractor`` of the articles this cleaner extracts (from text dumps, and from an HTML page
#: no other reading could use).
EXTRACTOR = "textclean"

_HEADER_RE = re.compile(r"^\s*date\s+(\d{4})-(\d{2})-(\d{2})\b[ \t]*(.*)$")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says told""".split()
)

# Function words of other languages the pages come in (pt, es, fr, it, de, nl, id, ru): prose in them has
# few English stopwords, and a short sentence would otherwise not read as prose.
FUNCTION_WORDS = STOPWORDS | frozenset(
    """o os as um uma de do da dos das em no na nos nas por para com que não se é ou mas como mais ao à pelo pela
    seu sua foi são ser está este esta isso el la los las un una del en y es con su sus al lo más pero fue está
    le les une des du et qui ne pas est au aux par sur avec dans son sa ses il elle ce cette sont été il lo gli
    di della dei delle dal nel nella e che non è per alla più ma sono anche der die das den dem des ein eine
    einer und oder nicht ist sind mit von zu im auf für sich als auch wie bei dass het een van op te dat niet
    met voor zijn aan ook yang dan di ke dari ini itu dengan untuk tidak ada adalah dalam akan pada juga atau
    oleh sebagai и в во не на что с со по как а к из у за от о об для же то это все всё так его но он она они мы
    вы я бы ли только уже или при если до был была были было быть есть нет да ещё еще её ее их чтобы когда где
    который которые которая которое""".split()
)

_TERMINAL = tuple('.!?"”’\'»)。！？」』')
# A sentence may also end in a colon when it leads into what follows ("... (all times local):").
_PROSE_END = _TERMINAL + (":", "：")

# A boundary line ends the article: what follows is the page's rail or footer.
_BOUNDARY_RE = re.compile(
    r"""^\d+\s+(?:thoughts?|responses?|repl(?:y|ies)|comments?)\s+(?:on|to)\s.{1,200}$|
    ^(?:\d+\s+)?(?:(?:top[\s-]rated|most\s+liked|readers?'?|user|latest|all|show|view)\s+)?(?:comments?|leave\s+a\s+(?:comment|reply)|join\s+the\s+(?:conversation|discussion)|
    popular\s+posts(?:\s+from\s+this\s+blog)?|related(?:\s+(?:articles?|stories|posts|coverage|content|news|links|topics))?|
    more\s+(?:stories|news|from|on|headlines|to\s+explore|in)\b.*|sponsored(?:\s+(?:content|articles?|stories|links|posts))?|
    (?:we\s+)?recommend(?:ed)?(?:\s+(?:for\s+you|stories|reading|articles))?|you\s+(?:may|might)\s+(?:also\s+)?like|
    (?:read|see)\s+(?:more|also|next)|trending(?:\s+(?:now|stories|news))?|most\s+(?:read|popular|viewed|shared)|
    latest\s+(?:news|stories|headlines|videos?)|top\s+stories|paid\s+(?:content|post|partner\s+content)|
    around\s+the\s+web|from\s+(?:our|the)\s+(?:partners?|web|network)|editor'?s?\s+picks?|what\s+to\s+read\s+next|
    up\s+next|promoted\s+(?:content|stories|links)|other\s+stories|in\s+case\s+you\s+missed\s+it|
    newsletter\s+sign[\s-]?up|share\s+this\s+(?:article|story)|about\s+the\s+author)\s*:?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# The same rail headings in the other languages the pages come in (pt, es, fr, it, de, id, ru), and an author box's.
_RAIL_I18N_RE = re.compile(
    r"^(?:voc[eê] (?:pode|tamb[eé]m pode) gostar|leia (?:tamb[eé]m|mais)|veja (?:tamb[eé]m|mais)|"
    r"not[ií]cias relacionadas|mat[eé]rias relacionadas|mais lidas|te puede interesar|lee (?:tambi[eé]n|m[aá]s)|"
    r"art[ií]culos relacionados|noticias relacionadas|lo m[aá]s le[ií]do|(?:[àa] )?lire aussi|sur le m[eê]me sujet|"
    r"articles li[eé]s|les plus lus|articoli correlati|leggi anche|potrebbe interessarti|i pi[uù] letti|"
    r"das k[oö]nnte sie (?:auch )?interessieren|mehr zum thema|lesen sie auch|[aä]hnliche artikel|meistgelesen|"
    r"baca juga|berita terkait|artikel terkait|terpopuler|читайте также|похожие (?:статьи|новости)|"
    r"популярное|самое читаемое|"
    # An author box's heading, "About Jane Doe" ("Sobre ...", "Über ..."): the author's name alone after the word.
    r"(?:about|sobre|über|acerca de|à propos de)\s+(?-i:[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){1,2}))\s*[:.…]*\s*$",
    re.IGNORECASE)

# Of the boundaries, these end the page's article text for good (what follows is readers' text about it).
_TAIL_RE = re.compile(
    r"^\d+\s+(?:thoughts?|responses?|repl(?:y|ies)|comments?)\s+(?:on|to)\s.{1,200}$|"
    r"^(?:\d+\s+)?(?:(?:top[\s-]rated|most\s+liked|readers?'?|user|latest|all|show|view)\s+)?(?:comments?|leave\s+a\s+(?:comment|reply)|join\s+the\s+(?:conversation|discussion)|about\s+the\s+author)"
    r"\s*:?\s*$", re.IGNORECASE)

# A box of the site's most read stories: never inside an article.
_RANKING_RE = re.compile(r"^most\s+(?:read|popular|viewed|shared)\s*:?\s*$", re.IGNORECASE)

# "Read more" is as often a button that unfolds the rest of the article as a rail's heading.
_EXPANDER_RE = re.compile(r"^(?:read|see|show)\s+more\s*:?$", re.IGNORECASE)

# "Read also" and its translations head a box of one teaser inside the article, not a rail.
_READ_ALSO_RE = re.compile(
    r"^(?:(?:read|see)\s+also|also\s+read|leia\s+tamb[eé]m|veja\s+tamb[eé]m|lee\s+tambi[eé]n|(?:[àa]\s+)?lire\s+aussi|"
    r"leggi\s+anche|lesen\s+sie\s+auch|baca\s+juga|читайте\s+также)\s*[:.…]*\s*$", re.IGNORECASE)

# A list item as an HTML-to-text renderer writes it: bullet (inscriptis: * + o per level) or number.
_ITEM_RE = re.compile(r"^(?:[*+•◦▪▸►·‣»›o-]|\d{1,3}[.)])\s+(?=\S)")
_HAS_WORD_RE = re.compile(r"\w")
_AGENCY = (r"(?:afp|ap|ap photo|associated press|reuters|getty images|epa|anadolu(?: agency)?|xinhua|efe|dpa|ansa|"
           r"bloomberg|pool|shutterstock)")
#: A photographer's name, up to four words, as a credit writes it before the agency.
_CREDITED_NAME = r"(?:[^\W\d_][\w.'’-]*\s+){0,3}[^\W\d_][\w.'’-]*"
_CREDIT_LABEL = r"credits?\s*(?:\.{2,}|…|:)\s*"  # "Credit...", "Credit:"; a "Credit" heading is no label
_CREDIT_LABEL_RE = re.compile(rf"^{_CREDIT_LABEL}$", re.IGNORECASE)
#: A photo credit that is the whole line: "Photo: Jane Doe, AP", "Photo by Jane Doe/Getty Images", "Jane Doe | Bloomberg",
#: or the label of one on the line above it ("Credit...").
_CREDIT_ALONE_RE = re.compile(
    rf"^\(?(?:{_CREDIT_LABEL}|(?:(?:photo|image|picture)\s*(?:credit)?|credit)\s*(?:by\b|:)[^!?]{{1,80}}|"
    rf"{_CREDITED_NAME}\s*[/|,]\s*{_AGENCY}(?:\s*[/|]\s*(?:getty images|pool|file|{_AGENCY}))?)"
    r"\.?\)?$",
    re.IGNORECASE,
)

# A link of the site's footer menu.
_FOOTER_LINK = (
    r"^(?:accessibility(?:\s+(?:statement|help|policy))?|terms(?:\s+(?:of\s+(?:use|service)|and\s+conditions))?|"
    r"privacy(?:\s+(?:policy|notice|settings|center|centre))?|cookies?(?:\s+(?:policy|settings|preferences|notice))?|"
    r"(?:contact|about)\s+us|site\s?map|advertise(?:\s+with\s+us)?|careers|help(?:\s+center)?|faqs?|"
    r"do not sell my (?:personal )?info(?:rmation)?|manage (?:my )?(?:account|preferences|consent))\s*[:|]?$")
_FOOTER_LINK_RE = re.compile(_FOOTER_LINK, re.IGNORECASE)
# A copyright notice's opening.
_COPYRIGHT = r"^(?:copyright|©|\(c\))\s"
_COPYRIGHT_RE = re.compile(_COPYRIGHT, re.IGNORECASE)

# A month's name, abbreviated or not ("Nov", "Nov.", "November"), and a date in numbers ("11/13/19", "11.18.19").
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NUMERIC_DATE = r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"

# Cruft patterns, each with the literals it cannot match without (None: anchored at the line start).
# The anchored ones are tried as one alternation at position 0; the others only when one of their
# literals is in the line, looked for in the line folded the way IGNORECASE compares (``_fold``), so
# nothing that would match is skipped: 30 patterns cost about one match and a few ``in`` per line.
_CRUFT = [
    (re.compile(p, re.IGNORECASE), keys)
    for p, keys in (
        (r"^skip\s+(?:to|navigation)\b", None),
        (r"\(?opens? in (?:a )?new (?:window|tab)\)?", ("new window", "new tab")),
        (r"^(?:click to |tap to )?(?:share|tweet|pin|email|e-mail|print|post)\b.{0,40}\b(?:facebook|twitter|linkedin|"
         r"reddit|pinterest|whatsapp|telegram|messenger|email|e-mail|friend|flipboard)\b", None),
        (_FOOTER_LINK, None),
        (r"\b(?:we|this (?:site|website)|our (?:site|website)s?|our partners) (?:and our partners )?(?:use|uses|are using)"
         r" cookies\b", ("cookie",)),
        (r"\b(?:accept|agree to|consent to) (?:the |our )?(?:use of )?cookies\b", ("cookie",)),
        # A consent box's cookie categories: "Necessary cookies are absolutely essential for the website to function".
        (r"\bcookies\b.{0,200}\b(?:site|website) to function\b|\b(?:site|website) to function\b.{0,200}\bcookies\b",
         ("cookie",)),
        (r"\bby (?:continuing|using|browsing)\b.{0,40}\b(?:site|website)\b.{0,60}\b(?:agree|accept|consent|cookies)\b",
         ("by continuing", "by using", "by browsing")),
        (r"\bcomment(?:s|ing|ers?)?\b.{0,200}\b(?:be respectful|guidelines|community (?:standards|rules)|moderated|"
         r"civil(?:ity)?|comment(?:ing)? polic(?:y|ies))\b", ("comment",)),
        (r"\bcomments? (?:powered by|are closed)\b|^(?:view|show|hide|load|post|add|read) (?:\d+ )?comments?$",
         ("comment",)),
        (r"\b(?:enable|turn on|allow) (?:javascript|notifications)\b|\bad ?blocker\b",
         ("javascript", "notifications", "blocker")),
        # The site's own privacy and consent notices (first and second person).
        (r"\b(?:our|this site's) (?:updated )?privacy (?:policy|notice|statement)\b|\b(?:i|you) (?:agree|consent) to "
         r"(?:the )?(?:processing|use|collection) of (?:my|your) personal (?:data|information)\b|"
         r"\bprotect(?:ing)? your (?:personal )?(?:data|information|privacy)\b",
         ("privacy", "personal data", "personal information", "your data", "your information")),
        # Legal and medical disclaimers in a site's footer.
        (r"\b(?:is|are) (?:a )?(?:registered )?trademarks? of\b", ("trademark",)),
        (r"\bhave not been evaluated by the food and drug administration\b|\bconsult (?:your|a) (?:physician|doctor)"
         r"\b.{0,80}\bbefore\b|\b(?:the )?(?:information|content|material) (?:provided |published )?on this "
         r"(?:web)?site\b.{0,120}\b(?:intended|informational|advice|substitute)\b",
         ("food and drug", "consult your", "consult a", "on this site", "on this website")),
        (r"^(?:advertisement|story continues below(?: advertisement)?|continue reading(?: below)?|scroll to continue)\b",
         None),
        (r"^(?:play|watch|replay)\b.{0,40}\bvideo\b", None),
        (r"^(?:video|watch|listen|photos?|gallery|image|advertisement|ad|sponsored|share|tweet|email|print|close|menu|"
         r"search|skip to (?:main )?content|log ?in|sign ?in|sign ?up|subscribe|follow us)\s*:?\s*$", None),
        # A share bar's copy button and what it says once pressed.
        (r"^(?:copy (?:the )?link|link copied|copied)\s*!?\s*$", None),
        (r"^\(?(?:photo|image|picture|credit|video)s?\s*(?:credit)?\s*:", None),
        (r"^[(\[][^()\[\]]{0,300}\b(?:via|getty|reuters|ap photo|afp|shutterstock|courtesy|handout|file|photo|images?)\b"
         r"[^()\[\]]{0,300}[)\]]\.?$", None),
        (r"(?:'s)?\s+profile\s+picture$", ("profile",)),
        (_COPYRIGHT, None),
        (r"all rights reserved", ("all rights reserved",)),
        (r"\bfor (?:your )?personal,? non-?commercial use\b", ("commercial use",)),
        (r"^\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago(?:$|\s+(?:at|on)\s.{0,30}$)", None),
        (r"^(?:updated|published|posted|last updated)\s*:?.{0,40}\d", None),
        (rf"^{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b.{{0,40}}$", None),
        (rf"^\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b.{{0,40}}$", None),
        # ... and in other languages: "Clique na imagem acima e veja ...", "Cliquez ici", "Haga clic aquí".
        (r"^(?:click|tap)\s+(?:here|to)\b|^clique\s+(?:aqui|na|no|nas|nos|e|para|em)\b|^cliquez\b|"
         r"^(?:haga|haz)\s+clic\b|^clicca\b|^klicken\s+sie\b|^klik\b", None),
        (r"^(?:on the site|in this section|navigation|main menu|quick links)\s*:?$", None),
        (r"\.\.\.$|…$", ("...", "…")),  # a truncated caption or teaser (``_read_lines`` keeps an article's last)
        # A gallery's slides: "Photo 3 of 12", or a caption numbered "1 of 4 Rescuers search ...".
        (r"^(?:(?:image|photo|picture|slide)\s+)?\d{1,3} of \d{1,3}\b", None),
        (r"^(?:read more|more|related|see also|also read|read also|watch|listen|recommended)\s*[:|]", None),
        # A caption ending in its photo credit: "... on Monday. (Jane Doe/Getty Images)"
        # ... or unbracketed after the caption's last sentence: "... oppose it. Jane DOE / AFP".
        (rf"(?:^|[.!?]\s+){_CREDITED_NAME}\s*/\s*{_AGENCY}(?:\s*/\s*(?:getty images|pool|file))?\.?$", ("/",)),
        # ... or a caption's closing credit, as the Guardian prints one: "... movement.’ Photograph: AFP via Getty".
        (r"(?:[.!?’”]\s+)photo(?:graph)?:\s*[^.!?]{1,80}$", ("photograph:", "photo:")),
        # ... also a local photographer's, handed on by an agency: "(Jane Doe/The Union via AP)".
        (r"\((?:[^()]{0,80}/)?(?:[^()/]{0,60}\bvia\s+)?\s*(?:getty images|ap photo|ap|reuters|afp|epa|shutterstock|"
         r"bloomberg|alamy|pa images)[^()]{0,40}\)\.?$", ("(",)),
        # An author's bio box: "Jane Doe is a freelance writer based in Toronto.", "Pulitzer Prize-winning
        # journalist John Doe writes a daily blog ...". A name, then what the person is or does for a living.
        (r"^(?:[\w-]+\s+){0,3}?(?-i:(?:[A-Z][\w'’.-]+\s+){1,3})(?:is an?|has been an?|writes|covers|joined)\s+"
         r"(?:[\w,'’-]+\s+){0,5}?(?:reporter|writer|correspondent|columnist|editor|journalist|contributor|blogger|"
         r"blog|producer|author|founder)\b(?!.*\b(?:said|says)\b)",
         ("reporter", "writer", "correspondent", "columnist", "editor", "journalist", "contributor", "blog", "producer",
          "author", "founder")),
        (r"^.{0,200}\b(?:sign up|subscribe)\b.{0,120}\b(?:newsletter|inbox|e-?mail)\b.{0,120}$", ("sign up", "subscribe")),
        # A subscription pitch: "The best in culture from a cultural icon. Subscribe now for more from ...".
        (r"\bsubscribe (?:now|today)\b", ("subscribe now", "subscribe today")),
        (r"\b(?:cookies?|privacy policy|terms of (?:use|service))\b.{0,60}\b(?:accept|agree|consent|manage)\b",
         ("cookie", "privacy policy", "terms of")),
    )
]
# What a bracket closing a line makes cruft (tried on lines ending in ")"): a video's length, "What Did the Rebel
# Yell Sound Like? (4:22)"; a poll option's share of the votes, "Yes, the game is cool (29%, 1,186 Votes)",
# "(29 %, 1.186 Stimmen)" (a poll of four such short lines outscored a brief of one 91-word line).
_CRUFT_BRACKET_END_RE = re.compile(r"\(\d{1,2}:\d{2}(?::\d{2})?\)$|"
                                   r"\(\s*\d{1,3}(?:[.,]\d+)?\s?%\s*,\s*\d[\d.,\s]*\s\w+\s*\)$")
_CRUFT_ANCHORED = re.compile("|".join(f"(?:{p.pattern})" for p, keys in _CRUFT if keys is None), re.IGNORECASE)
_CRUFT_KEYS = tuple(sorted({k for _, keys in _CRUFT if keys for k in keys}))


def _prefix_tree_pattern(literals) -> str:
    """A regex matching any of ``literals``, their common prefixes factored out ("co(?:lumnist|okie|...)").

    ``re`` tries every branch of a flat alternation at each position of a line; factored, one letter
    rules most of them out. For the cruft literals over the real-page dumps' lines: 0.13 against 0.21 ms
    a dump (``regex``'s named lists, ``\\L<keys>``, took 0.75), the same lines matched.
    """
    tree: dict = {}
    for literal in literals:
        node = tree
        for ch in literal:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(tree)


# Each free pattern with its literals as one alternation: a search in C rather than an ``in`` per literal.
_CRUFT_FREE = [(p, re.compile(_prefix_tree_pattern(keys))) for p, keys in _CRUFT if keys]
# Whether a folded line holds any of the literals: one scan in C instead of ~30 ``in`` tests per line.
_CRUFT_KEYS_RE = re.compile(_prefix_tree_pattern(_CRUFT_KEYS))


def _fold(text: str) -> str:
    """``text`` lower-cased so that it holds an ASCII literal wherever a case-blind pattern finds it: a gate.

    Python's case-blind matching also lets "ı" and "İ" match "i" and "ſ" match "s", the only letters
    beyond ASCII that match an ASCII one and that ``str.lower`` leaves apart ("İ" lower-cases to "i"
    and a combining dot). Replaced after lower-casing: ``str.translate`` took ~60 ns a character of a
    text with one curly quote in it, ~20x this.
    """
    low = text.lower()
    return low if low.isascii() else low.replace("\u0131", "i").replace("\u017f", "s").replace("\u0307", "")


# A finished sentence, then an ellipsis: where a page cut its text short.
_FINISHED_THEN_CUT_RE = re.compile(r"(?<=[.!?])\s*(?:\.\.\.|…)$")

#: The words a byline opens with, before its names.
_BYLINE_WORDS = ("by", "written by", "words by", "reporting by")
_BYLINE_RE = re.compile(r"^(?:" + "|".join(_BYLINE_WORDS) + r")\s+(.{3,200})$", re.IGNORECASE)
#: The letters a byline starts with (no other character folds to them): tried before the pattern.
_BYLINE_FIRST = "".join(sorted({c for w in _BYLINE_WORDS for c in (w[0], w[0].upper())}))

# Outlets and wires a copy may credit; normalised to a short canonical name.
_OUTLETS = {
    "cnn": "CNN", "cnn newsource": "CNN", "cnn wire": "CNN",
    "ap": "AP", "associated press": "AP", "the associated press": "AP",
    "reuters": "Reuters", "thomson reuters": "Reuters",
    "afp": "AFP", "agence france-presse": "AFP", "agence france presse": "AFP",
    "bloomberg": "Bloomberg", "upi": "UPI", "pa": "PA Media", "pa media": "PA Media",
    "dpa": "dpa", "xinhua": "Xinhua", "ani": "ANI", "pti": "PTI", "ians": "IANS", "efe": "EFE",
    "kyodo": "Kyodo", "yonhap": "Yonhap", "tass": "TASS", "ria novosti": "RIA Novosti",
    "bbc": "BBC", "bbc news": "BBC", "nbc news": "NBC News", "abc news": "ABC News", "cbs news": "CBS News",
    "npr": "NPR", "the new york times": "The New York Times", "new york times": "The New York Times",
    "the washington post": "The Washington Post", "washington post": "The Washington Post",
    "the guardian": "The Guardian", "al jazeera": "Al Jazeera", "sky news": "Sky News", "itv news": "ITV News",
    "fox news": "Fox News", "the wall street journal": "The Wall Street Journal", "dow jones": "Dow Jones",
    "nexstar media wire": "Nexstar Media Wire", "gray news": "Gray News", "states newsroom": "States Newsroom",
    "kaiser health news": "KFF Health News", "kff health news": "KFF Health News", "the conversation": "The Conversation",
}
_OUTLET_ALT = "|".join(sorted((re.escape(k) for k in _OUTLETS), key=len, reverse=True))
_CREDIT_RES = [
    # Dateline credit: "(CNN) —", "WASHINGTON (AP) --", "KYIV, Ukraine (Reuters) -"
    re.compile(r"\((" + _OUTLET_ALT + r")\)\s*(?:[—–-]{1,2}|:)", re.IGNORECASE),
    re.compile(r"\bshared with\s+(?:[\w'’.\s]{0,40}?\b(?:partner|affiliate)\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
    re.compile(r"\b(" + _OUTLET_ALT + r")['’]s\s+[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+(?:and\s+[^.]{0,80})?contributed", re.IGNORECASE),
    re.compile(r"\b(?:this (?:story|article|report) (?:was )?(?:originally )?(?:appeared|published|first appeared|provided) (?:in|on|by)|(?:distributed|provided) by|courtesy of)\s+(?:the\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
    re.compile(r"©\s*\d{4}\s+(?:the\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
]
_BYLINE_CREDIT_RE = re.compile(r",\s*(" + _OUTLET_ALT + r")\s*$", re.IGNORECASE)
# Literals a credit pattern cannot match without (one of them), looked for first in the folded text: a
# substring test is ~40x cheaper than trying every outlet at every word, and ~10x cheaper than the same
# literal searched as a case-blind pattern. Same result, less work: ~0.25 ms a text dump.
_CREDIT_GUARDS = [None, ("shared with",), ("contributed",),
                  ("this story ", "this article ", "this report ", "distributed by", "provided by", "courtesy of"),
                  None]


@dataclasses.dataclass(slots=True)  # a dump has thousands of lines: no per-line __dict__
class _Line:
    text: str
    kind: str  # "text", "cruft", "boundary", "byline"
    words: list
    prose: bool = False
    score: float = 0.0
    topical: bool = False  # prose sharing the article's core vocabulary
    item: bool = False  # a list item (its bullet or number removed from ``text``)
    teaser: bool = False  # the summary under a bulleted headline of a teaser list
    indent: int = 0  # leading blanks: a renderer indents what is inside a list item past its bullet
    cells: int = 1  # columns, as a renderer lays a table row out (cells apart by two blanks or more)
    table: bool = False  # a row of a data table (standings, results) inside the article
    rows: int = 1  # the rows a table line stands for (a table written a cell a line is joined into one)
    caption: bool = False  # a photo's caption, above its credit


def parse_header(text: str) -> tuple:
    """Split the scraper's ``date YYYY-MM-DD`` header off a dump.

    Returns:
        (published, first_line_rest, body): ``published`` is a UTC datetime at
        midnight or None; ``first_line_rest`` is whatever followed the date on the
        header line (often the page's first line, e.g. its headline) or None when
        there was no header; ``body`` is the text after the header line.
    """
    first, sep, rest = text.partition("\n")
    m = _HEADER_RE.match(first)
    if not m:
        return None, None, text
    try:
        published = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=dt.timezone.utc)
    except ValueError:
        published = None
    return published, m.group(4).strip(), rest


def find_credit(text: str, byline: Optional[str] = None) -> Optional[str]:
    """The wire service or outlet an article credits, normalised ("CNN", "AP"), or None."""
    if byline:
        m = _BYLINE_CREDIT_RE.search(byline.strip())
        if m:
            return _OUTLETS[m.group(1).lower()]
    # Credits sit in the dateline, the first paragraphs or the closing line: scan only those.
    head = text[:2500]
    tail = text[-1500:] if len(text) > 2500 else ""
    guarded_head, guarded_tail = _fold(head), _fold(tail)
    for pattern, guard in zip(_CREDIT_RES, _CREDIT_GUARDS):
        if guard is not None and not any(g in guarded_head or g in guarded_tail for g in guard):
            continue
        m = pattern.search(head) or (pattern.search(tail) if tail else None)
        if m:
            return _OUTLETS[re.sub(r"\s+", " ", m.group(1).lower())]
    return None


#: Cruft is short: longer lines skip the pattern tests, which keeps classification linear in the input.
MAX_CRUFT_CHARS = 600


def _unbracket(text: str) -> str:
    """A heading without the brackets some sites put round it: "[ 167 comments ]"."""
    return text.strip("[]() ") if text[:1] in "[(" else text


def _is_tail(text: str) -> bool:
    return bool(_TAIL_RE.match(_unbracket(text)))


def classify_line(text: str) -> str:
    """One of "boundary", "cruft", "byline" or "text" for a single stripped line."""
    if len(text) > MAX_CRUFT_CHARS:
        return "text"
    if _BOUNDARY_RE.match(_unbracket(text)) or _RAIL_I18N_RE.match(text):
        return "boundary"
    if (text[:1] in _BYLINE_FIRST and _BYLINE_RE.match(text) and len(text.split()) <= 20
            and not text.rstrip().endswith(".")):
        return "byline"
    if _CRUFT_ANCHORED.match(text) or text.endswith(")") and _CRUFT_BRACKET_END_RE.search(text):
        return "cruft"
    low = _fold(text)
    if _CRUFT_KEYS_RE.search(low):
        for pattern, keys in _CRUFT_FREE:
            if keys.search(low) and pattern.search(text):
                return "cruft"
    return "text"


#: Fewer words than this is no article (the pipeline's ``--min_words`` default).
MIN_ARTICLE_WORDS = 30
#: A comments heading only ends the article after this many words of prose.
TAIL_AFTER_WORDS = 40
#: What one line of a run of ``RUN_MIN_LINES`` or more short non-prose lines (a menu) costs, against a lone one.
RUN_PENALTY = 1.5
RUN_MIN_LINES = 4
#: What a rail heading ("Related", "Most Popular") costs in the span search.
RAIL_HEADING_SCORE = -4.0
#: A rail holds at most this many teaser paragraphs in a row.
RAIL_MAX_LINES = 8


def _shouting(text: str) -> bool:
    """All capitals (a promo or banner). ``isupper`` first: it is cheap, and also true of a Korean or
    Chinese line with one acronym in it, so the capitals must also be most of the line."""
    if len(text) < 20 or not text.isupper():
        return False
    return sum(1 for c in text if c.isupper()) >= 0.5 * sum(1 for c in text if not c.isspace())


#: A line with this many brackets or more, one every ``LISTED_BRACKET_WORDS`` words, is a list, not prose:
#: a sentence has a few ("(AP)", "(R-Texas)"); on 181 real pages no line of an article has more.
LISTED_BRACKETS = 6
LISTED_BRACKET_WORDS = 6


def _is_prose(line: _Line) -> bool:
    return _reads_as_prose(line.text, line.words, line.item)


def _reads_as_prose(text: str, words: list, item: bool) -> bool:
    """``_is_prose`` of a line's text, its words and whether it was a list item."""
    n = len(words)
    if n < 8 or (item and n < 20):
        return False
    if _shouting(text):  # promos and section banners, not sentences
        return False
    brackets = text.count("(")
    if brackets >= LISTED_BRACKETS and brackets * LISTED_BRACKET_WORDS >= n:
        # Names each with its language or edition in brackets ("Argentina (español) Australia (English) ..."):
        # a site's edition picker, written as one line. On an unseen real-page corpus it outweighed a brief
        # under it, and two briefs on the template kept nothing else, one copy of the other.
        return False
    stop = sum(map(FUNCTION_WORDS.__contains__, words)) / n
    terminal = text.rstrip().endswith(_PROSE_END) or _ends_in_pictograph(text)
    # Non-English prose has few English stopwords but still ends in sentence punctuation.
    prose = (terminal and (stop >= 0.12 or n >= 15)) or (n >= 30 and stop >= 0.2)
    # A teaser card's headline run into its summary reads as a sentence, but is no paragraph.
    return prose and not _glued_headline(text)


def _ends_in_pictograph(text: str) -> bool:
    """Whether a line ends in an emoji or other pictograph: web prose ends sentences with them ("Check them
    out below ⬇️"), and a brief of three such lines had lost two of them and the document with them."""
    tail = text.rstrip().rstrip("\ufe0f\ufe0e\u200d")
    return bool(tail) and unicodedata.category(tail[-1]) == "So"


#: Where a teaser's headline may end, glued to its summary's first word, and the summary's least length.
GLUED_HEAD_CHARS = 160
GLUED_SUMMARY_WORDS = 5
_GLUE_RE = re.compile(r"[a-z?!][A-Z][a-z]{2}")
_LOWER3_RE = re.compile(r"[a-z]{3}")
_ITALIC_SUMMARY_RE = re.compile(r"\S( _)[A-Z]")


def _glued_headline(text: str) -> bool:
    """Whether a line starts with a headline run into its summary ("... Rivertown NeighborhoodVisiting
    Rivertown, or ..."): a renderer that writes a teaser card's title and text without a break.

    Markdown writes such a card as a headline in bold and its summary in italics, which reads once the
    bold marks are gone as "... Rivertown Neighborhood _Visiting Rivertown, or ..._": the underscore
    that opens the summary is the break.
    """
    # A lowercase word (three letters or more), or a question, run into a capitalised one.
    glue = _GLUE_RE.search(text, 0, GLUED_HEAD_CHARS)
    while glue and not (text[glue.start()] in "?!" or _LOWER3_RE.match(text, glue.start() - 2)):
        glue = _GLUE_RE.search(text, glue.start() + 1, GLUED_HEAD_CHARS)
    if glue is not None:
        at = glue.start() + 1
    else:
        opened = _ITALIC_SUMMARY_RE.search(text, 0, GLUED_HEAD_CHARS) if " _" in text else None
        if opened is None:
            return False
        at = opened.start(1)
    if len(text[at:at + GLUED_HEAD_CHARS].split()) < GLUED_SUMMARY_WORDS:
        return False
    head = text[:at].split()
    if len(head) > 16 or any(w.endswith(".") for w in head[:-1]):
        return False
    # Headline case: a brand inside a sentence ("Sony's new PlayStation sold ...") is not one. A number
    # ("for 11/15") has no case.
    long_words = [w for w in head if len(w) >= 4 and not w[0].isdigit()]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.9 * len(long_words)


def _content_words(words: Iterable[str]) -> set:
    return {w for w in words if w not in FUNCTION_WORDS and len(w) > 2 and not w.isdigit()}


#: A line of paragraphs run together (a sentence's end glued to the next one's first word) with this many
#: finished sentences weighs as up to ``RUN_TOGETHER_WORDS`` words, not as one paragraph.
RUN_TOGETHER_SENTENCES = 4
RUN_TOGETHER_WORDS = 150
#: Share of a paragraph's content words in the article's core vocabulary for it to be on topic.
TOPICAL_OVERLAP = 0.25


def _score(lines: Sequence[_Line], teasers: bool = True) -> None:
    if teasers:
        _mark_teaser_lists(lines)
        _mark_bylined_teasers(lines)
    prose = [ln for ln in lines if ln.prose]
    # The article's core vocabulary: its longest paragraphs (teasers are one-liners), plus every
    # word the article's prose repeats across paragraphs (teasers about other stories do not).
    # A paragraph the page repeats verbatim (a disclaimer in header and footer) is not core.
    times: dict = {}
    for ln in prose:
        times[ln.text] = times.get(ln.text, 0) + 1
    words_of_line = {id(ln): _content_words(ln.words) for ln in prose}
    core = _core_vocabulary([(len(ln.words), words_of_line[id(ln)]) for ln in prose if times[ln.text] == 1])
    for ln in lines:
        if ln.kind in ("cruft", "byline") or ln.teaser:
            ln.score = -1.0
        elif ln.table:
            ln.score = TABLE_ROW_SCORE * ln.rows
        elif ln.kind == "boundary":
            ln.score = RAIL_HEADING_SCORE
        elif ln.prose:
            overlap = _overlap(words_of_line[id(ln)], core)
            # A paragraph weighs as 60 words at most: one block of chrome prose (a consent notice, a site's
            # description) does not outweigh an article's paragraphs. A run-together dump writes a whole article
            # as one line, though: capped so, a 500-word copy weighed less than three teasers above it.
            n, cap = len(ln.words), 60
            if (n > cap and _GLUED_PARAGRAPHS_RE.search(ln.text)
                    and len(_SENTENCE_END_RE.findall(ln.text)) >= RUN_TOGETHER_SENTENCES):
                cap = RUN_TOGETHER_WORDS
            weight = min(n, cap) / 10.0
            # Off-topic prose is still prose: barely positive, so it joins the article only when it
            # sits right beside it (a closing line) and never carries the span across a teaser rail.
            ln.score = weight * (1.0 if overlap >= TOPICAL_OVERLAP else (0.3 if overlap >= 0.1 else 0.05))
            ln.topical = overlap >= TOPICAL_OVERLAP
        else:
            # A short non-prose line: a subheading or pull quote inside the article costs
            # a little, a run of them (a rail or menu) costs a lot.
            ln.score = -1.5
    _demote_rail_teasers(lines)
    _demote_after_footer(lines)
    _demote_footer_blurb(lines)
    _penalise_runs(lines)


#: A list whose paragraphs share less of the rest's vocabulary than this is about other stories
#: (measured on the AEB pages: rails at most 0.14, lists inside articles at least 0.22).
TEASER_OVERLAP = 0.15
#: Paragraphs in a row, each alone under a bulleted headline, that make a teaser list.
TEASER_LIST_MIN = 3
#: Lines between two paragraphs that can still be one teaser's headline, author and date.
TEASER_GAP_MAX = 12


#: Paragraphs each right under its own byline that make a list of other writers' stories.
BYLINED_TEASERS_MIN = 3


#: A line that is a date alone, perhaps with its weekday and a time: "Tuesday November 19, 2019",
#: "19 Nov 2019 10:32", "2019-11-19".
_DATE_LINE_RE = re.compile(
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\.?\s+{_MONTH},?\s+\d{{4}}|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}|{_NUMERIC_DATE})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?\s*$", re.IGNORECASE)
#: Words of a name line over a teaser card's date ("Kaylee McGhee", "Anthony, Maya, Nadine, and Caroline Ghosn").
CARD_NAME_WORDS = 8


def _card_summary(lines: Sequence[_Line], i: int) -> bool:
    """Whether the paragraph at ``i`` is a teaser card's summary, under its headline, its writer's name and
    its date, each on a line of its own (a dump of a text node a line writes a card so)."""
    if i < 3:
        return False
    date, name, head = lines[i - 1], lines[i - 2], lines[i - 3]
    # Most paragraphs follow another: the cheap tests first, the date's pattern last.
    return (not date.prose and name.kind in ("text", "byline") and not name.prose
            and len(name.words) <= CARD_NAME_WORDS and head.kind == "text" and not head.prose
            and len(head.words) > len(name.words) and bool(_DATE_LINE_RE.match(date.text)))


def _mark_bylined_teasers(lines: Sequence[_Line]) -> None:
    """Mark the summaries of a "most popular" box whose items each carry a byline: ``BYLINED_TEASERS_MIN``
    or more prose paragraphs, each within two lines under a byline, or each a card's summary under its
    headline, writer and date (``_card_summary``). An article has one byline, above its first paragraph; a
    box of other stories has one per story.

    In a dump of a text node a line, a rail of twelve such cards under a 71-word brief held the page's
    longest paragraphs: they made its core vocabulary, the brief read as off topic, and two of the cards were
    kept as the article on every page of that template, which joined their briefs into one cluster.
    """
    under = [i for i, ln in enumerate(lines)
             if ln.prose and any(lines[j].kind == "byline" for j in range(max(0, i - 2), i))]
    if len(under) < BYLINED_TEASERS_MIN:
        under = [i for i, ln in enumerate(lines) if ln.prose and _card_summary(lines, i)]
    if len(under) >= BYLINED_TEASERS_MIN:
        for i in under:
            lines[i].teaser, lines[i].prose = True, False


def _headed_teasers(lines: Sequence[_Line]) -> List[list]:
    """The summaries of each box under a rail heading ("Top stories") that is ``TEASER_LIST_MIN`` or more
    teasers in a row, each a headline line over one paragraph: the shape of ``_mark_teaser_lists``' lists
    in a dump that kept no bullets or indentation. An article's paragraphs follow one another; a heading
    inside it has a few of them under it.

    On a real page such a box of four teasers under a 56-word brief held the page's longest paragraphs:
    they made its core vocabulary, and the brief read as off topic and was lost as too short.
    """
    boxes = []
    for i, heading in enumerate(lines):
        if heading.kind != "boundary" or _is_tail(heading.text):
            continue
        summaries, j = [], i + 1
        while (j + 1 < len(lines) and lines[j].kind == "text" and not (lines[j].prose or lines[j].table)
               and lines[j + 1].prose and (j + 2 == len(lines) or not lines[j + 2].prose)):
            summaries.append(j + 1)
            j += 2
        if len(summaries) >= TEASER_LIST_MIN:
            boxes.append(summaries)
    return boxes


def _mark_teaser_lists(lines: Sequence[_Line]) -> None:
    """Mark the summaries of a teaser list: ``TEASER_LIST_MIN`` or more prose paragraphs in a row,
    each standing alone (no prose right above or below it) inside a list item: indented past the
    bullet of the last item above it.

    A rail or "latest stories" box renders as a list whose items are a headline (bulleted), maybe
    an author and a date, and a one-paragraph summary. Each summary reads as prose, and a box of
    them on one theme outscores a short article and shares its own vocabulary, so neither the
    span search nor the topic test can tell it from the article. Its shape does: an article's
    paragraphs follow one another and are not inside list items (a deals article's "Get it on
    Amazon" bullets come after its paragraphs, not around them). A dump without indentation
    never matches.
    """
    prose_at = []
    lists, run = [], []
    previous, item_indent = -1, None  # the last prose line, and the indent of the last item since it
    for i, ln in enumerate(lines):
        if not ln.prose:
            if ln.item:
                item_indent = ln.indent
            continue
        prose_at.append(i)
        alone = (i - previous > 1) and (i + 1 >= len(lines) or not lines[i + 1].prose)
        if alone and i - previous - 1 <= TEASER_GAP_MAX and item_indent is not None and item_indent < ln.indent:
            run.append(i)
        else:
            if len(run) >= TEASER_LIST_MIN:
                lists.append(run)
            run = []
        previous, item_indent = i, None
    if len(run) >= TEASER_LIST_MIN:
        lists.append(run)
    lists += _headed_teasers(lines)
    if not lists:
        return
    # A list inside the article (terms and their explanations) is about what the rest of the page's
    # prose is about; a rail's teasers are about other stories.
    listed = {i for run in lists for i in run}
    rest = [lines[i] for i in prose_at if i not in listed]
    core = _core_vocabulary([(len(ln.words), _content_words(ln.words)) for ln in rest])
    for run in lists:
        overlap = [_overlap(_content_words(lines[i].words), core) for i in run]
        if sum(overlap) / len(overlap) < TEASER_OVERLAP:
            for i in run:
                lines[i].teaser, lines[i].prose = True, False


def _core_vocabulary(paragraphs: Sequence[tuple]) -> set:
    """The core vocabulary of prose paragraphs, given as ``(word count, content words)``: every word
    three or more of them use, plus all words of the four longest (teasers are one-liners)."""
    seen_in: dict = {}
    for _, words in paragraphs:
        for w in words:
            seen_in[w] = seen_in.get(w, 0) + 1
    longest = sorted(paragraphs, key=lambda p: p[0], reverse=True)[:4]
    return {w for w, n in seen_in.items() if n >= 3}.union(*(words for _, words in longest))


def _overlap(words: set, core: set) -> float:
    return sum(1 for w in words if w in core) / len(words) if words else 0.0


def _demote_rail_teasers(lines: Sequence[_Line]) -> None:
    """The prose right under a rail heading, up to the first short line, is that rail's teasers.

    A "Latest Headlines" box of headline-and-summary lines is on-topic with itself; it is
    demoted unless it runs on for more than RAIL_MAX_LINES paragraphs (then the heading was
    inline and the article goes on under it). A "Read also" box holds one teaser; "Read more"
    is often a button that unfolds the rest of the article and demotes nothing.

    A "Most Read" box may open with an item whose headline stands alone, without a sentence's end, above
    items that read as prose: that one line does not end the box (on a real page the box's four items then
    outweighed a brief above it), and in a numbered or bulleted box no such item does (on another, the first
    and third items stood alone and the last two outweighed a brief). Only under a ranking heading: "Related"
    and "Trending" boxes of one link sit inside articles, whose paragraphs go on below them.
    """
    run: list = []
    limit = RAIL_MAX_LINES
    seen_prose = False
    ranked = False  # under a ranking heading, whose first item may be a headline alone
    skipped = False  # such a headline was passed over: the box then needs two items or more
    listed = False  # the box is a list: a paragraph outside it is not the box's
    padded = list(lines) + [None, None]
    for ln, after in zip(padded, padded[1:]):
        if ln is not None and ln.kind == "boundary":
            # A comments link above any prose ("0 Comments", "Leave a comment") sits in the article's
            # header, where the article's own paragraphs follow it.
            header_link = not seen_prose and _is_tail(ln.text)
            run = [] if _EXPANDER_RE.match(ln.text) or header_link else [ln]
            limit = 1 if _READ_ALSO_RE.match(ln.text) else RAIL_MAX_LINES
            ranked, skipped, listed = bool(run) and bool(_RANKING_RE.match(ln.text)), False, False
        elif run and ln is not None and ln.prose and len(run) <= limit and (ln.item or not listed):
            run.append(ln)
        elif run and ln is not None and ln.kind == "cruft":
            continue
        elif ranked and ln is not None and ln.kind == "text" and (
                ln.item or not listed and len(run) == 1 and after is not None and after.prose):
            # In a ranked list every item may be a headline alone (and the list ends the box); outside one,
            # only the box's first line.
            ranked, skipped, listed = ln.item, True, ln.item
            continue
        else:
            if 1 + skipped < len(run) <= limit + 1 and (limit == 1 or ln is None or not ln.prose):
                for teaser in run[1:]:
                    teaser.score, teaser.topical, teaser.prose = -1.0, False, False
            run = []
        seen_prose = seen_prose or (ln is not None and ln.prose)


#: What the lines below the page's copyright footer weigh against the same lines above it.
FOOTER_FACTOR = 0.1
# A copyright notice with its year, or "all rights reserved": a photo credit ("© Reuters") has neither.
_FOOTER_RE = re.compile(r"(?:©|\(c\)|\bcopyright\b)\s*(?:[^\W\d_]+\s+)?(?:19|20)\d\d\b|\ball rights reserved\b",
                        re.IGNORECASE)


def _demote_after_footer(lines: Sequence[_Line]) -> None:
    """The lines below the copyright footer that closes an article weigh ``FOOTER_FACTOR`` of their score.

    A renderer writes out what a page hides or appends after its footer: a comment policy, sign-in
    dialogs, a "more from us" rail. Under a short article (a brief of 40-110 words) any of those
    holds more prose than the article and won the span search. Every score below is scaled, so an
    article that does come after such a line (a header's menu can carry the copyright notice
    too) keeps its shape and still wins when it is several times the text above. A footer only
    counts below ``TAIL_AFTER_WORDS`` of prose.
    """
    seen_words = 0
    for i, ln in enumerate(lines):
        if ln.prose:
            seen_words += len(ln.words)
        elif seen_words >= TAIL_AFTER_WORDS and ln.kind == "cruft" and _FOOTER_RE.search(ln.text):
            for below in lines[i + 1:]:
                below.score *= FOOTER_FACTOR
            return


#: Lines above a paragraph with no prose among them, for it to stand alone, and how many of them must be
#: the footer's menu links.
LONE_LINES = 4
FOOTER_LINKS = 2


def _demote_footer_blurb(lines: Sequence[_Line]) -> None:
    """A paragraph between the footer's menu and the copyright notice (no prose in the ``LONE_LINES`` above it,
    ``FOOTER_LINKS`` of them links such as "Privacy Policy" or "Sitemap") weighs ``FOOTER_FACTOR`` of its
    score: it is the site's description ("example.co.uk features the latest ... reviews, news and events
    ..."). An article's last paragraph above the notice follows the others, or a headline or a rail.

    On one site's pages, as two unseen real-page corpora used them for templates, the description outweighed
    a brief and a short edited repost by a word or more: the two texts were kept as that one paragraph and
    made one story.
    """
    for i in range(len(lines) - 1):
        ln, below = lines[i], lines[i + 1]
        if not (ln.prose and below.kind == "cruft" and _COPYRIGHT_RE.match(below.text)):
            continue
        above = lines[max(0, i - LONE_LINES):i]
        if not any(a.prose for a in above) and sum(bool(_FOOTER_LINK_RE.match(a.text)) for a in above) >= FOOTER_LINKS:
            ln.score *= FOOTER_FACTOR
            ln.topical = False


def _penalise_runs(lines: Sequence[_Line]) -> None:
    """Each line of a run of RUN_MIN_LINES or more negative lines (a menu, a link list) costs RUN_PENALTY times more."""
    run_start = 0
    for i in range(len(lines) + 1):
        if i == len(lines) or lines[i].score >= 0:
            if i - run_start >= RUN_MIN_LINES:
                for ln in lines[run_start:i]:
                    if ln.kind != "boundary":
                        ln.score *= RUN_PENALTY
            run_start = i + 1


def _best_span(lines: Sequence[_Line]) -> tuple:
    best, best_span = 0.0, (0, 0)
    run, start = 0.0, 0
    for i, ln in enumerate(lines):
        if run <= 0:
            run, start = 0.0, i
        run += ln.score
        if run > best:
            best, best_span = run, (start, i + 1)
    return best_span


#: An inline box (related links, a newsletter prompt) this many short lines long can sit inside the article.
MAX_GAP_LINES = 6
#: ... when the text beyond it is on-topic prose worth at least this much score.
MIN_GLUED_SCORE = 3.0
MAX_GLUES = 50
#: ... or this much, when the span alone is too short to be an article.
SHORT_GLUED_SCORE = 1.0
MAX_GLUE_SCAN = 5000


def _glue(lines: Sequence[_Line], start: int, end: int, min_score: float = MIN_GLUED_SCORE,
          glues: int = MAX_GLUES) -> tuple:
    """Extend the span over short gaps of non-prose lines to on-topic prose beyond them.

    Kadane stops at an inline box of links inside the article when the part on one side of
    it is short; the article's text on the far side shares its vocabulary, a teaser rail does
    not. Never across a comments heading. ``min_score``: what the prose beyond a gap must be worth;
    ``glues``: how many gaps it crosses at most.
    """
    def reach(edge: int, step: int) -> Optional[int]:
        j, gap = edge, 0
        while 0 <= j < len(lines) and not lines[j].prose and gap < MAX_GAP_LINES:
            if lines[j].kind == "boundary" and _is_tail(lines[j].text):
                return None
            j, gap = j + step, gap + 1
        if not (0 <= j < len(lines)):
            return None
        run, best, k, best_k, topical, best_topical = 0.0, 0.0, j, None, False, False
        while 0 <= k < len(lines) and run >= 0 and abs(k - j) < MAX_GLUE_SCAN:
            if lines[k].kind == "boundary" and _is_tail(lines[k].text):
                break
            run += lines[k].score
            topical = topical or lines[k].topical
            if run > best:
                best, best_k, best_topical = run, k, topical
            k += step
        return best_k if best >= min_score and best_topical else None

    for _ in range(glues):  # bounded: a hostile dump of a million tiny segments stays linear
        after = reach(end, 1)
        if after is not None:
            end = after + 1
            continue
        before = reach(start - 1, -1)
        if before is None:
            break
        start = before
    return start, end


def page_title(article: dict) -> Optional[str]:
    """An article record's title when its page gave it one; None when this cleaner guessed it (the line
    above the article that names its lead, when it finds one: a guess all the same)."""
    return None if article.get("extractor") == EXTRACTOR else article.get("title")


def _normalise(line: str) -> str:
    return " ".join(words_of(line))


def _joined(ln: "_Line") -> str:
    """``_normalise`` of a read line, from the words it was read with."""
    return " ".join(ln.words)


def clean_text(
    text: str,
    source: str = "",
    boilerplate: frozenset = frozenset(),
) -> Extracted:
    """Extract the article from a plain-text dump.

    Args:
        text: The decoded dump, header included.
        source: Where it came from (only used for messages).
        boilerplate: Normalised lines (see ``_normalise``) known to repeat across
            many documents of the same site in this run; they never count as text.

    Returns:
        An ``Extracted`` with ``extractor="textclean"``; ``text`` may be empty when
        nothing reads as an article (the caller decides what is too short).
    """
    published, first_rest, body = parse_header(text)
    lines = _cut_tail(_read_lines(([first_rest] if first_rest else []) + dump_lines(body), boilerplate))
    byline = next((_BYLINE_RE.match(ln.text).group(1).strip() for ln in lines if ln.kind == "byline"), None)
    _score(lines)
    start, end = _glue(lines, *_best_span(lines))
    if any(ln.teaser for ln in lines) and sum(
            len(ln.words) for ln in lines[start:end] if ln.kind == "text" and not ln.teaser) < MIN_ARTICLE_WORDS:
        # Without its teaser list the page has no article at all (a calendar, a photo page): the list
        # is then what it has to say, as before teaser lists were told apart.
        for ln in lines:
            if ln.teaser:
                ln.teaser, ln.prose = False, True
        _score(lines, teasers=False)
        start, end = _glue(lines, *_best_span(lines))
    title = _pick_title(lines, first_rest, start, end)
    kept = _keep(lines[start:end], title)
    if kept and _words_in(kept) < MIN_ARTICLE_WORDS:
        # Too short to be an article: a paywall may show its article's first paragraphs under its standfirst and
        # byline box, run together into one line that ends in an ellipsis. With the paragraphs apart ("... the
        # head. The Pittsburgh ...") that line reads as a truncated teaser, and two such pages kept only their
        # standfirsts and were lost. A teaser would stand under its own headline, so the lines between must all
        # be short or chrome; and a page with no text of its own above such a line is a teaser's. Only a page
        # that is lost otherwise is read so.
        cut = _cut_paragraphs_below(lines, end)
        if cut is not None:
            lines[cut].kind = "text"
            kept = kept + [lines[cut]]
    if _words_in(kept) < MIN_ARTICLE_WORDS and any(_unpunctuated(ln) for ln in lines):
        # Nothing reads as an article: a page whose text carries no sentence punctuation (a standings
        # table flattened into one line, a repost that dropped the full stops) would be lost. Long
        # lines are then the best evidence of prose, as on a page with no prose at all.
        for ln in lines:
            ln.prose = ln.prose or _unpunctuated(ln)
        _score(lines, teasers=False)
        start, end = _glue(lines, *_best_span(lines))
        retry_title = _pick_title(lines, first_rest, start, end)
        retry = _keep(lines[start:end], retry_title)
        if _words_in(retry) > _words_in(kept):
            kept, title = retry, retry_title
    # Still too short to be an article: a short one whose paragraphs labels part ("Claim" / ... / "Rating" /
    # "Unproven" / "Origin" / ..., a fact check) reaches its other paragraphs over them, however short, one at
    # a time until it is long enough (each reach adds a paragraph of 8 words or more: a few steps at most).
    while _words_in(kept) < MIN_ARTICLE_WORDS:
        wider = _glue(lines, start, end, min_score=SHORT_GLUED_SCORE, glues=1)
        if wider == (start, end):
            break
        start, end = wider
        title = _pick_title(lines, first_rest, start, end)
        kept = _keep(lines[start:end], title)
    article = "\n\n".join(ln.text for ln in kept)
    return Extracted(
        text=article,
        title=title,
        byline=byline,
        published=published,
        credited_source=find_credit(article, byline),
        extractor=EXTRACTOR,
    )


#: Lines of at most this many characters are remembered once read (``_read_line``) ...
REMEMBERED_LINE_CHARS = 200
#: ... this many of them, the most recently read: ~7 MB on the benchmark corpora, at most ~25 MB (lines of
#: 200 Chinese characters, each a word).
REMEMBERED_LINES = 16384


def _read_line(text: str, item: bool) -> tuple:
    """``(words, kind, prose)`` of a stripped line, its bullet removed (``item``: it had one); ``prose`` as
    ``_is_prose`` reads it, should it stay text. They depend on nothing else, so a short line is read once
    (``_read_short_line``): a site prints the same menu, share bar and footer on every page, and of the
    lines of 4,000 generated dumps 76% had been read before, of the real pages' dumps 87%."""
    if len(text) > REMEMBERED_LINE_CHARS:
        return _read_new_line(text, item)
    joined, kind, prose = _read_short_line(text, item)
    return joined.split(" ") if joined else [], kind, prose


def _read_new_line(text: str, item: bool) -> tuple:
    toks = words_of(text)
    kind = classify_line(text)
    return toks, kind, kind == "text" and _reads_as_prose(text, toks, item)


@functools.lru_cache(maxsize=REMEMBERED_LINES)
def _read_short_line(text: str, item: bool) -> tuple:
    # The words are remembered as one string (no word holds a blank): as a list of strings, a line of 200
    # Chinese characters, each a word of its own, held ~15 KB, and the memo up to ~250 MB a process.
    toks, kind, prose = _read_new_line(text, item)
    return " ".join(toks), kind, prose


def forget_read_lines() -> None:
    """Forget the lines read so far (``_read_line``): a benchmark that reads the same pages again times a
    first reading, as a run has, not lines remembered from its last pass."""
    _read_short_line.cache_clear()


def _read_lines(raw_lines: Iterable[str], boilerplate: frozenset) -> List[_Line]:
    """Classified lines: blanks and bare bullets dropped, list markers removed, prose marked."""
    lines = []
    bare_by, other_script = [], []  # the few lines the split-byline and edition-link rules read
    number_led = 0  # lines that may be a number alone: a table written a cell a line needs several
    for raw in _columns(raw_lines):
        stripped = " ".join(raw.split())
        if not stripped or not _HAS_WORD_RE.search(stripped):
            continue  # blank, or a bare bullet or rule
        item = _ITEM_RE.match(stripped)
        if item:
            stripped = stripped[item.end():]
        toks, kind, prose = _read_line(stripped, bool(item))
        number_led += stripped[0] in _NUMBER_FIRST
        if boilerplate and " ".join(toks) in boilerplate:
            kind = "cruft"
        elif item and kind == "boundary":
            kind = "cruft"  # "* Related", "* Comments": a link in a menu or share bar, not a heading
        body = raw.strip()
        ln = _Line(stripped, kind, toks, prose=prose and kind == "text", item=bool(item), indent=raw.find(body[0]),
                   cells=_cell_count(body))
        # ``isascii`` is a flag of the string: most lines are gone after two cheap tests.
        if stripped in _BARE_BYLINES:
            bare_by.append(len(lines))
        elif not stripped.isascii() and stripped.count(" ") < SCRIPT_LABEL_WORDS:
            other_script.append(ln)
        lines.append(ln)

    if number_led >= CELL_NUMBER_SHARE * CELL_TABLE_MIN_LINES:
        joined = _join_cell_tables(lines)
        if len(joined) < len(lines):
            lines = joined
            bare_by = [i for i, ln in enumerate(lines) if ln.text in _BARE_BYLINES]
    _mark_tables(lines)
    _join_split_bylines(lines, bare_by)
    _mark_script_labels(lines, other_script)
    # Right under a paragraph, two kinds of line are read again (one pass, most lines being neither):
    # - A page that cuts its article short ends the last paragraph it shows with an ellipsis, often after a
    #   finished sentence ("... further discipline...."): a line as long as a paragraph is one too. A teaser a
    #   list cuts at a sentence's end looks the same, but stands under its headline; a call to join or click
    #   ("... Dan klik Join/Gabung....") is shorter.
    # - A photo's caption stands right above its credit: the line above a credit alone ("Jane Doe | Bloomberg |
    #   Getty Images", "Photo: Jane Doe, AP") describes the picture, however much it reads like the story. It
    #   still counts towards the article's span (captions sit between its paragraphs), but is not kept.
    for i, (before, ln) in enumerate(zip(lines, lines[1:])):
        if not before.prose:
            continue
        n = len(ln.words)
        if ln.kind == "cruft" and n >= SANDWICHED_PROSE_WORDS and _FINISHED_THEN_CUT_RE.search(ln.text):
            kind = classify_line(_FINISHED_THEN_CUT_RE.sub(".", ln.text))
            if kind == "text" and _is_prose(ln):
                ln.kind, ln.prose = kind, True
        elif n <= CREDIT_MAX_WORDS and len(before.words) <= CAPTION_MAX_WORDS and _CREDIT_ALONE_RE.match(ln.text):
            before.caption = True
            ln.kind, ln.prose = "cruft", False  # as CNBC prints one: "Jane Doe | Bloomberg | Getty Images"
            if i + 2 < len(lines) and len(lines[i + 2].words) <= CREDIT_MAX_WORDS and _CREDIT_LABEL_RE.match(ln.text):
                lines[i + 2].kind, lines[i + 2].prose = "cruft", False  # under its label: "Jane Doe/The Times"
    # Paragraphs a page cut short mid-sentence ("... new maps, missions and characters.All...") that a renderer
    # ran together into one line (a sentence's end glued to the next paragraph's first word) are no teaser
    # however they end: a paywall shows an article's first paragraphs so. Read as a truncated teaser, two
    # such articles kept nothing else and were lost on a real-page corpus. A teaser's summary is one paragraph,
    # however long (one of 62 words, in a Markdown dump).
    for ln in lines:
        if _cut_paragraphs(ln) and _GLUED_PARAGRAPHS_RE.search(ln.text):
            ln.kind = "text"
            ln.prose = _is_prose(ln) or _unpunctuated(ln)
    # A long line without its closing punctuation between two paragraphs is one of them (a repost that
    # lost a full stop), not a caption: a caption or subheading is short, or stands beside non-prose.
    for before, ln, after in zip(lines, lines[1:], lines[2:]):
        if (before.prose and after.prose and not ln.prose and ln.kind == "text" and not ln.item and not ln.table
                and len(ln.words) >= SANDWICHED_PROSE_WORDS
                and sum(map(FUNCTION_WORDS.__contains__, ln.words)) >= 0.2 * len(ln.words)):
            ln.prose = True
    # A short line the page repeats three times or more (an author's name over every comment, "Reply",
    # a section label) is chrome; a headline is repeated at most twice (title and heading).
    short_seen: dict = {}
    for ln in lines:
        if ln.kind == "text" and not ln.prose and len(ln.words) < 8:
            short_seen[ln.text] = short_seen.get(ln.text, 0) + 1
    for ln in lines:
        if short_seen.get(ln.text, 0) >= 3 and ln.kind == "text" and not ln.prose:
            ln.kind = "cruft"
    # A heading between two share or menu links ("Twitter" / "Comments" / "Print") is one of the links: a
    # dump of a text node a line has no bullets to tell it by. A link is a word or three; a heading that
    # counts and names ("6 thoughts on ...") is none, whatever an author box above it and a date below.
    # A comments link under two such links is the bar's last ("Tweet" / "Share" / "Comment"), whatever
    # follows it: over a photo's caption it was taken for the comments heading and cut off a 3,600-word article.
    for i, (before, ln, after) in enumerate(zip(lines, lines[1:], lines[2:])):
        if (ln.kind == "boundary" and before.kind == "cruft" and len(ln.words) <= 3
                and (after.kind == "cruft" or (i > 0 and lines[i - 1].kind == "cruft" and _is_tail(ln.text)))):
            ln.kind = "cruft"
    if not any(ln.prose for ln in lines):
        # Unpunctuated text (transcripts, feeds flattened badly): long lines are the best evidence of prose.
        for ln in lines:
            ln.prose = _unpunctuated(ln)
    return lines


#: A byline's first words alone on a line, as sites case them: a renderer that writes each text node on a
#: line of its own breaks "By <a>Jane Doe</a>" at the link. A set: looked up for every line of a dump.
_BARE_BYLINES = frozenset(case(words) for words in _BYLINE_WORDS
                          for case in (str.lower, str.upper, str.capitalize, str.title))
#: Words of a name line under a bare "By" (names, "and", a title: "Jane Doe and John Roe, Staff Writers").
SPLIT_BYLINE_WORDS = 10


def _join_split_bylines(lines: Sequence[_Line], bare: Sequence[int]) -> None:
    """A bare "By" over a name is one byline, not two short lines of text: the name's line becomes the
    byline ("By Jane Doe") and the word alone cruft.

    Read as text, the pair sat between a template's standfirst and a brief's first paragraph and was kept
    with them: 72 of the 181 real news pages, dumped one text node a line, break their byline so (7 in
    inscriptis' dumps). On a real-page corpus, two briefs on one template shared the standfirst, the name
    and two language links, 40-60% of each, and joined into one cluster of two stories. ``bare``: the
    indexes of the lines that are a byline's first words alone.
    """
    for i in bare:
        by, name = lines[i], lines[i + 1] if i + 1 < len(lines) else None
        if (name is not None and by.kind == "text" and name.kind == "text" and not name.prose
                and len(name.words) <= SPLIT_BYLINE_WORDS):
            joined = f"{by.text} {name.text}"
            if classify_line(joined) == "byline":
                by.kind = "cruft"
                name.kind, name.text = "byline", joined


_LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
#: A letter of another script: a word character that is no digit, underscore or Latin letter.
_OTHER_LETTER_RE = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F]")
#: Words (apart by blanks) a line in another script has at most to be a label: "Русский", "한국 (한국어)".
SCRIPT_LABEL_WORDS = 2
#: Share of a dump's words in lines with Latin letters for it to be written in Latin script.
LATIN_DUMP_SHARE = 0.8


def latin_share(text: str) -> float:
    """The share of ``text``'s words with a letter that are written in Latin script (1.0 when none has one).

    By words, not letters: a Korean or Chinese word is two to four letters where an English one is six.
    """
    if text.isascii():
        return 1.0  # every word with a letter has a Latin one
    lettered = [w for w in words_of(text) if not w.isdigit()]
    latin = sum(1 for w in lettered if _LATIN_LETTER_RE.search(w))
    other = sum(1 for w in lettered if not _LATIN_LETTER_RE.search(w) and _OTHER_LETTER_RE.search(w))
    return latin / (latin + other) if latin + other else 1.0


def _mark_script_labels(lines: Sequence[_Line], short: Sequence[_Line]) -> None:
    """In a dump written in Latin script, a line of a word or two in another script is a link to the site's
    edition in that language ("阅读简体中文版", "Русский", "العربية", "हिंदी"): cruft.

    Chinese and Japanese count a word a character, so such a link weighs as much as a sentence. On a
    real-page corpus, two briefs on one template shared its standfirst and two links to its Chinese
    editions, 40-60% of each, and joined into one cluster of two stories. A quotation in another script
    inside an article is longer (a fragment of one, broken at a line's end, may go). ``short``: the lines
    of at most ``SCRIPT_LABEL_WORDS`` words that are not all ASCII.
    """
    labels = [ln for ln in short if ln.kind == "text" and _OTHER_LETTER_RE.search(ln.text)
              and not _LATIN_LETTER_RE.search(ln.text)]
    if not labels:
        return
    total = sum(len(ln.words) for ln in lines)
    latin = sum(len(ln.words) for ln in lines if ln.text.isascii() or _LATIN_LETTER_RE.search(ln.text))
    if latin >= LATIN_DUMP_SHARE * total:
        for ln in labels:
            ln.kind, ln.prose = "cruft", False


def _columns(raw_lines: Iterable[str]) -> List[str]:
    """The lines, a two-column page's right column after its left one.

    A renderer lays a two-column page out side by side, row by row: the article's lines beside a rail's
    ("... they lost 24-17.      Latest news"), and read in that order each paragraph sits between two
    teasers. The right column starts where most rows of two cells with their second ``COLUMN_START``
    characters in or later have it, in ``COLUMN_ROWS`` rows or more.
    """
    lines = list(raw_lines)
    starts: dict = {}
    for raw in lines:
        # A shorter line has no second column (and most lines of a page are short).
        if len(raw) <= COLUMN_START:
            continue
        body = raw.strip()
        if "    " in body:
            gaps = list(_COLUMN_GAP_RE.finditer(raw))
            if len(gaps) == 1 and gaps[0].end() >= COLUMN_START and _cell_count(body) == 2:
                starts[gaps[0].end()] = starts.get(gaps[0].end(), 0) + 1
    at = max(starts, key=lambda k: (starts[k], -k), default=0)
    if not at or starts[at] < COLUMN_ROWS:
        return lines
    left, right = [], []
    for raw in lines:
        if len(raw) > at and raw[at - COLUMN_GAP:at].isspace():
            left.append(raw[:at].rstrip())
            right.append(raw[at:].rstrip())
        else:
            left.append(raw)
    return left + [""] + right


#: Words that make a line without sentence punctuation count as prose when a page has no other article.
UNPUNCTUATED_PROSE_WORDS = 15
#: ... and between two paragraphs (a headline or a video's title beside its summary is shorter).
SANDWICHED_PROSE_WORDS = 20
#: Paragraphs run together into a line ending in an ellipsis are an article cut short, not a truncated
#: teaser, from this many words and finished sentences on.
CUT_PARAGRAPH_WORDS = 50
CUT_PARAGRAPH_SENTENCES = 2
# A sentence's end inside a line, before a blank or run into the next sentence's capital ("repeat.Now").
_SENTENCE_END_RE = re.compile(r"\w[.!?][\"'”’)]*(?=\s+\S|[A-Z])")
# A paragraph's last word glued to the next one's first: text nodes run together ("repeat.Now we"). Searched
# from the punctuation, which few characters are, rather than from two letters, which most are (4x faster).
_GLUED_PARAGRAPHS_RE = re.compile(r"[.!?](?<=[a-z]{2}[.!?])[\"”’]?[A-Z][a-z]")
#: Lines a span too short to be an article may stand above its cut paragraphs (a byline box: the writer's
#: name, "By", the paper, a handle, an address, the date), each shorter than ``CUT_BOX_LINE_WORDS`` words.
CUT_BOX_LINES = 12
CUT_BOX_LINE_WORDS = 5


def _cut_paragraphs(ln: _Line) -> bool:
    """Whether a line the truncated-teaser rule made cruft is long enough, with enough finished sentences, to be
    paragraphs run together and cut short (``CUT_PARAGRAPH_WORDS``, ``CUT_PARAGRAPH_SENTENCES``)."""
    return (ln.kind == "cruft" and len(ln.words) >= CUT_PARAGRAPH_WORDS and ln.text.endswith(("...", "…"))
            and len(_SENTENCE_END_RE.findall(ln.text)) >= CUT_PARAGRAPH_SENTENCES
            and classify_line(ln.text.rstrip(".…").rstrip()) == "text")


def _cut_paragraphs_below(lines: Sequence[_Line], end: int) -> Optional[int]:
    """The line of cut paragraphs (``_cut_paragraphs``) at most ``CUT_BOX_LINES`` lines under a span ending at
    ``end``, with only short lines or chrome between, or None."""
    for j in range(end, min(len(lines), end + CUT_BOX_LINES + 1)):
        ln = lines[j]
        if _cut_paragraphs(ln):
            return j
        if ln.prose or ln.kind == "boundary" or (ln.kind == "text" and len(ln.words) >= CUT_BOX_LINE_WORDS):
            return None
    return None


#: A caption is one to three sentences; a line above a photo credit longer than this is the story's.
CAPTION_MAX_WORDS = 60
#: A credit names a photographer and an agency; "Image: Jane Doe, left, has replaced ..." is a caption itself.
CREDIT_MAX_WORDS = 8


def _unpunctuated(ln: _Line) -> bool:
    return ln.kind == "text" and not ln.prose and not ln.teaser and len(ln.words) >= UNPUNCTUATED_PROSE_WORDS


_CELL_GAP_RE = re.compile(r"\s{2,}")


def _cell_count(body: str) -> int:
    """Cells of a stripped line, as a renderer lays a table row out (apart by two blanks or more)."""
    return len(_CELL_GAP_RE.split(body)) if "  " in body or "\t" in body else 1


#: Blanks between two columns of a row (two after a full stop are a typist's habit, not a column).
COLUMN_GAP = 4
#: Where a right column can start, and in how many rows of two cells it must.
COLUMN_START = 40
COLUMN_ROWS = 3
_COLUMN_GAP_RE = re.compile(r"(?<=\S)\s{%d,}(?=\S)" % COLUMN_GAP)
#: Rows in a row, with the same number of cells (3 or more), that make a data table.
TABLE_MIN_ROWS = 3
TABLE_MIN_CELLS = 3
#: A table row counts for a little: a long table carries the article across a caption beside it.
TABLE_ROW_SCORE = 0.1


#: A results table a renderer flattened, its cells one blank apart ("Palm Bay 18 22 13 17 — 70"): short lines
#: holding this many numbers or more and a name, ``TABLE_MIN_ROWS`` or more of them in a row.
NUMBER_ROW_NUMBERS = 2
NUMBER_ROW_MAX_WORDS = 20


# A date or a clock time in a line: "11/13/19", "11.18.19", "9:00".
_DATE_OR_TIME_RE = re.compile(_NUMERIC_DATE + r"|\d{1,2}:\d{2}")


def _has_name(words: Sequence[str]) -> bool:
    """Whether a table row's words hold a name beside its numbers: a word of two characters or more, not a number."""
    return any(len(w) > 1 and not w.isdigit() for w in words)


def _number_row(ln: _Line) -> bool:
    """A row of a results table: numbers beside a name. Numbers alone are a date ("2019-11-18", a blog's
    archive of months "2019年11月", whose 78 links outweighed a brief on a real page) or a page list; and
    a teaser's byline with its date and time ("Jane Doe 11/13/19 9:00AM") is no result either."""
    return (ln.kind == "text" and not ln.prose and len(ln.words) <= NUMBER_ROW_MAX_WORDS
            and sum(map(str.isdigit, ln.words)) >= NUMBER_ROW_NUMBERS
            and _has_name(ln.words) and not _DATE_OR_TIME_RE.search(ln.text))


#: A table a renderer wrote a cell a line (a dump of a text node a line): this many short lines in a row or
#: more, each of at most ``CELL_MAX_WORDS`` words, ``CELL_NUMBER_SHARE`` of them numbers alone and
#: ``TABLE_MIN_ROWS`` or more of them names.
CELL_TABLE_MIN_LINES = 12
CELL_MAX_WORDS = 4
CELL_NUMBER_SHARE = 0.4
#: Numbers that each follow the one before (1, 2, 3 ...) are a calendar or a page list, not a table's data.
CELL_COUNTING_SHARE = 0.6
_NUMBER_CELL_RE = re.compile(r"[-+\u2212]?\d[\d.,]*%?")
_NUMBER_FIRST = frozenset("0123456789-+\u2212")


def _cell(ln: _Line) -> bool:
    return ln.kind in ("text", "cruft") and not ln.prose and not ln.item and len(ln.words) <= CELL_MAX_WORDS


def _cell_table_rows(run: Sequence[_Line]) -> int:
    """The rows of a table written a cell a line (a row holds a name, so its names count them), or 0 when
    the run is no such table."""
    numbers = [ln.text for ln in run if _NUMBER_CELL_RE.fullmatch(ln.text)]
    names = sum(1 for ln in run if ln.kind == "text" and _has_name(ln.words))
    if len(numbers) < CELL_NUMBER_SHARE * len(run) or names < TABLE_MIN_ROWS:
        return 0
    counted = [int(n) for n in numbers if n.isdigit() and len(n) < 10]
    counting = sum(1 for a, b in zip(counted, counted[1:]) if b == a + 1)
    return names if counting < CELL_COUNTING_SHARE * max(1, len(counted) - 1) else 0


def _join_cell_tables(lines: List[_Line]) -> List[_Line]:
    """Each table written a cell a line (``_cell_table_rows``), as one table line of its cells in order.

    A renderer that writes each text node on a line of its own writes a standings table as "1" / "Kyle
    Busch" / "5040" / "5" / ...: one- and two-word lines, the shape of a menu, and the numbers alone read
    as counters ("1", "17"). A real page whose article is such a table under three sentences kept the
    sentences alone, 28 words, and was lost as too short; rendered a row a line, it is read whole. Joined,
    the cells read in the order the table's own rows give them, as in the page's HTML.
    """
    out: List[_Line] = []
    start = 0
    for i in range(len(lines) + 1):
        if i < len(lines) and _cell(lines[i]):
            continue
        run = lines[start:i]
        rows = _cell_table_rows(run) if len(run) >= CELL_TABLE_MIN_LINES else 0
        if rows:
            # Scored as the rows it holds, as a renderer that writes a row a line would have it.
            out.append(_Line(" ".join(ln.text for ln in run), "text", [w for ln in run for w in ln.words],
                             indent=run[0].indent, table=True, rows=rows))
        else:
            out.extend(run)
        if i < len(lines):
            out.append(lines[i])
        start = i + 1
    return out


def _mark_tables(lines: Sequence[_Line]) -> None:
    """Mark data tables: ``TABLE_MIN_ROWS`` or more consecutive text lines laid out in the same number
    of columns, or each holding numbers (``_number_row``). A standings or results table is the article's
    own content, but its rows read as short non-prose lines, the shape of a menu; scored as barely
    positive (``TABLE_ROW_SCORE``), they do not break an article that runs across them, and a table
    alone is not an article.

    A box score's rows ("Rockledge 14 11 6 15 — 44", "Palm Bay d. Rockledge 70-44") come one blank
    apart when a renderer writes the page's text nodes in a line each: counted as a menu, a brief of
    scores kept its one sentence and was lost as too short on a real-page corpus."""
    start = 0
    for i in range(len(lines) + 1):
        if (i < len(lines) and lines[i].kind == "text" and not lines[i].prose and lines[i].cells >= TABLE_MIN_CELLS
                and lines[i].cells == lines[start].cells):
            continue
        if i - start >= TABLE_MIN_ROWS:
            for ln in lines[start:i]:
                ln.table = True
        start = i if i < len(lines) and lines[i].cells >= TABLE_MIN_CELLS and lines[i].kind == "text" else i + 1
    start = 0
    for i in range(len(lines) + 1):
        if i < len(lines) and _number_row(lines[i]):
            continue
        if i - start >= TABLE_MIN_ROWS:
            for ln in lines[start:i]:
                ln.table = True
        start = i + 1


#: Words a line holds at least for a comments title to be glued inside it (the title alone has four or more).
GLUED_TAIL_WORDS = 6
#: A blog's comments title ("6 thoughts on “Title”", "One Response to “Title”") inside a line: a renderer that
#: runs text nodes together glues it to the page's text before it and to the first comment after it.
_GLUED_TAIL_RE = re.compile(
    r"(?:(?<!\d)\d{1,6}|\bone)\s+(?:thoughts?|responses?)\s+(?:on|to)\s+[“\"«][^”\"»]{1,200}[”\"»]", re.IGNORECASE)


def _cut_tail(lines: List[_Line]) -> List[_Line]:
    """Everything from the first comments heading that follows real article text is the page's tail.

    A blog's comments title glued inside a line (``_GLUED_TAIL_RE``) is one too, the line's text before it
    kept: run together with the blog's category links and its first comment ("... BUSINESS 6 thoughts on “How
    to ...” Vatsala ..."), it was no heading, and the comments under every brief placed in the blog's template
    were kept as its article and joined the briefs into one cluster.
    """
    seen_words = 0
    for i, ln in enumerate(lines):
        if ln.prose:
            seen_words += len(ln.words)
        elif ln.kind == "boundary" and seen_words >= TAIL_AFTER_WORDS and _is_tail(ln.text):
            return lines[:i]
        # A title glued to text around it makes a long line: the substring tests run on few lines, the regex
        # on fewer (the tests cover the title's lower, capitalised and upper cases, as the regex does).
        if (len(ln.words) >= GLUED_TAIL_WORDS and seen_words >= TAIL_AFTER_WORDS and ln.kind == "text"
                and ("hought" in ln.text or "espons" in ln.text or "HOUGHT" in ln.text or "ESPONS" in ln.text)):
            found = _GLUED_TAIL_RE.search(ln.text)
            if found:
                head = ln.text[:found.start()].rstrip()
                return lines[:i] + ([_line_of(head)] if _HAS_WORD_RE.search(head) else [])
    return lines


def _line_of(text: str) -> _Line:
    """A line of text read as ``_read_lines`` reads one (its kind, words and prose), without its layout."""
    ln = _Line(text, classify_line(text), words_of(text))
    ln.prose = ln.kind == "text" and _is_prose(ln)
    return ln


def _words_in(kept: Sequence[_Line]) -> int:
    """``count_words`` of the article these lines make (a line's words are its tokens)."""
    return sum(len(ln.words) for ln in kept)


def _keep(span: Sequence[_Line], title: Optional[str]) -> List[_Line]:
    """The article's paragraphs among the span's lines."""
    kept, seen = [], set()
    title_norm = _normalise(title) if title else None
    under_rail = False
    for ln in span:
        if ln.kind == "boundary":
            under_rail = True  # the span crossed a rail heading: its teasers are not the article
            continue
        if under_rail:
            if not (ln.prose and ln.score >= 1.5):
                continue
            under_rail = False
        if ln.kind != "text" or ln.caption:
            continue
        norm = _joined(ln)
        if not norm or norm in seen or norm == title_norm:
            continue
        # Inside the span a long line without sentence punctuation is a caption or standfirst.
        if not ln.prose and len(ln.words) > 14 and not ln.table:
            continue
        seen.add(norm)
        kept.append(ln)
    # A trailing short line (a caption, a "KSL 5 TV Live" label) is not the article's end.
    while kept and not kept[-1].table and len(kept[-1].words) < 8 and not kept[-1].text.endswith(_TERMINAL):
        kept.pop()
    return kept


#: Content words a line above the article must share with its lead to be its headline.
HEADLINE_LEAD_WORDS = 2
#: Words of the article that are its lead, for that test.
TITLE_LEAD_WORDS = 80


def _headline_shaped(ln: _Line) -> bool:
    return ln.kind == "text" and 4 <= len(ln.words) <= 30 and not ln.text.endswith(("...", "…", ":"))


def _headline_of_lead(lines: Sequence[_Line], start: int, end: int) -> Optional[str]:
    """The line above the article that shares most words with its lead (at least ``HEADLINE_LEAD_WORDS``).

    A page's headline names what its lead reports; the lines a dump renders above the article (a menu, a
    rail's headlines, the template's own slogans) mostly do not. Ties go to the line nearest the article.
    """
    lead: set = set()
    seen = 0
    for ln in lines[start:end]:
        if ln.prose and seen < TITLE_LEAD_WORDS:
            lead |= _content_words(ln.words[:TITLE_LEAD_WORDS - seen])
            seen += len(ln.words)
    best, best_shared = None, HEADLINE_LEAD_WORDS - 1
    for ln in lines[:start]:
        if _headline_shaped(ln) and len(ln.words) <= 20:
            shared = len(_content_words(ln.words) & lead)
            if shared >= best_shared:
                best, best_shared = ln.text, shared
    return best


def _pick_title(lines: Sequence[_Line], first_rest: Optional[str], span_start: int, span_end: int) -> Optional[str]:
    """A headline: the line above the article naming what its lead reports (``_headline_of_lead``), else a
    dump's first line when a paragraph follows it, else none.

    A repeated headline-shaped line, or the line just above the article, were taken before: where no line
    above the article shares its lead's words, in the real-page corpora's 1,576 dumps, they were the
    headline 5 times and a menu item, a slogan or a byline 144 times.
    """
    found = _headline_of_lead(lines, span_start, span_end)
    if found:
        return found
    if lines and _headline_shaped(lines[0]) and (not lines[0].prose or (first_rest and lines[0].text == first_rest)):
        # The first line of a dump is its headline when a paragraph follows it.
        if len(lines) > 1 and lines[1].prose and len(lines[0].words) <= 25:
            return lines[0].text
    return None
