"""Hypocorisms: the short and familiar forms of given names (Matt for Matthew, Bill for William).

The table is hand-curated for scholarkg from common English usage, with a few French, German,
Italian, Spanish, Portuguese and Slavic forms seen on author lists; it is not exhaustive and not
derived from any external list. One line per formal name (or several spellings of it, separated
by ``/``): the formal name, a colon, its familiar forms. Names are written folded (lower case,
no accents), as ``names.fold`` leaves them. Language variants of one name (Alexander, Alexandre,
Aleksandar) are not nicknames of each other; only a shared familiar form can link them, and only
a familiar form to its formal names or two familiar forms of one formal name count as equivalent.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import NamedTuple

_TABLE = """
abigail: abby abbie gail
abraham: abe bram
albert: al bert bertie
alberto: beto
alexander: alex alec alek sasha sandy xander lex
alexandra: alex alexa sasha sandra sandy lexi
alexandre: alex
aleksandar: alex aleks sasha aca
aleksander / aleksandr: alex aleks sasha olek
alexei / alexey / aleksei / aleksey: alex alyosha lyosha
alexis: alex
alfred: alf alfie fred
andrew: andy drew
andreas: andi andy
anthony / antony: tony ant
antonio: toni tony toto
arthur: art artie
augustine / augustus: gus
barbara: barb babs
bartholomew: bart
benjamin: ben benji benny
bernard: bernie
bradley: brad
catherine / katherine / kathryn / katharina: kate katie kathy cathy kat
katarzyna: kasia kate
ekaterina: katya kate
charles: charlie chuck chas chaz
christian: chris
christina / christine / kristina / kristin: chris tina kris
christopher / kristopher: chris kris topher kit
cynthia: cindy
daniel: dan danny
daniela / daniella / danielle: dani
david: dave davy
deborah: deb debbie
dmitri / dmitry / dmitrii: dima
dominic / dominik: dom
donald: don
dorothy: dot dottie
douglas: doug
edward: ed eddie ted ned
edmund: ed ned
elizabeth: liz lizzie beth betsy betty eliza lisa libby
emily: em emmy
eugene: gene
evgeny / evgenii / yevgeny: zhenya
francesco: franco cecco
francis: frank fran
francisco: paco pancho
frederick / frederic / friedrich: fred freddie fritz
gabriel: gabe
geoffrey / jeffrey: geoff jeff
giovanni: gianni
giuseppe: beppe peppe pino
gregory: greg
guillermo: memo
harold: harry hal
henry: harry hank hal
isabel / isabella / isabelle: izzy bella
ivan: vanya
jacob / jakob: jake jack kuba
james: jim jimmy jamie
jennifer: jen jenny
johannes: hans jo
john: jack johnny
jonathan: jon jonny
jose: pepe
joseph: joe joey
joshua: josh
judith: judy
katrina: kat trina
kenneth: ken kenny
lawrence / laurence: larry laurie
leonard / leonardo: leo len lenny
louis / luis: lou
manuel: manu manolo
margaret: maggie meg peggy marge greta
matthew / matthias / mathieu / matthieu: matt matty
michael: mike mick mickey mikey
mikhail: misha
nathan: nate
nathaniel: nate nat
nicholas / nikolaus: nick nicky
nicolas / nikola / nikolai / nikolay: nico nick kolya
oliver: ollie
patricia: pat patty trish
patrick: pat paddy rick
peter: pete
philip / phillip / philipp / philippe: phil pip
raymond: ray
rebecca: becky becca
richard: rich rick ricky dick richie
robert / roberto: bob bobby rob robbie bert
ronald: ron ronnie
samantha: sam sammy
samuel: sam sammy
sebastian / sebastien: seb bastian
sergei / sergey: seryozha
stephen / steven / stefan / stephan: steve stevie
susan / susanna / suzanne: sue susie suzy
theodore: ted teddy theo
thomas: tom tommy
timothy: tim timmy
valentina / valentin: vale valya
victoria: vicky tori
vincent: vince vinny
vladimir: vova volodya
walter: walt wally
william / wilhelm: bill billy will willy liam wm
zachary: zach zack
"""


class _Tables(NamedTuple):
    nicknames: MappingProxyType[str, frozenset[str]]  # formal -> its familiar forms
    formals: MappingProxyType[str, frozenset[str]]  # familiar form -> its formal names


@functools.cache
def _tables() -> _Tables:
    nicknames: dict[str, set[str]] = {}
    formals: dict[str, set[str]] = {}
    for line in _TABLE.strip().splitlines():
        left, _, right = line.partition(":")
        short = right.split()
        for formal in (f.strip() for f in left.split("/")):
            nicknames.setdefault(formal, set()).update(short)
            for nick in short:
                formals.setdefault(nick, set()).add(formal)
    return _Tables(
        MappingProxyType({k: frozenset(v) for k, v in nicknames.items()}),
        MappingProxyType({k: frozenset(v) for k, v in formals.items()}),
    )


def nickname_equivalent(first: str, second: str) -> bool:
    """True when two different folded given names are a familiar form and its formal name
    (matt / matthew), or two familiar forms of one formal name (bill / will)."""
    if first == second:
        return False
    tables = _tables()
    if second in tables.nicknames.get(first, ()) or first in tables.nicknames.get(second, ()):
        return True
    return not tables.formals.get(first, frozenset()).isdisjoint(tables.formals.get(second, ()))


def related_names(name: str) -> frozenset[str]:
    """Every folded given name nickname-equivalent to ``name`` (for blocking by first letter)."""
    tables = _tables()
    related = set(tables.nicknames.get(name, ())) | set(tables.formals.get(name, ()))
    for formal in tables.formals.get(name, ()):
        related |= tables.nicknames[formal]
    related.discard(name)
    return frozenset(related)
