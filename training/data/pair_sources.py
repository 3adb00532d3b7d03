"""Where the drawings come from: candidates, their licences and what they show.

Each source yields ``Item``s: one SVG document (or one element of it) with the package it
came from, the path inside the package, author, title, licence and a ``kind``
(character / object / icon / scene) guessed from the path, the title and the package's
own grouping. The licence is the file's own metadata (RDF ``cc:license``) when it has
one, else the package's Debian copyright file (machine-readable DEP-5 paragraphs are
matched file by file, the last matching paragraph wins).
"""
from __future__ import annotations

import fnmatch
import gzip
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

OPENCLIPART = "/usr/share/openclipart/svg"
TUXPAINT = "/usr/share/tuxpaint/stamps"
GCOMPRIS_RCC = "/usr/share/gcompris-qt/rcc"
KTUBERLING = "/usr/share/ktuberling/pics"

# Licences accepted as open (DEP-5 short names, lower case, version dropped).
OPEN_LICENSES = ("public-domain", "cc0", "cc-by", "cc-by-sa", "gpl", "lgpl", "free-art", "ofl", "mpl", "gfdl",
                 "gfdl-niv", "bsd", "mit", "expat", "apache")


@dataclass
class Item:
    package: str  # Debian package (or the ../shared folder) it came from
    path: str  # the installed path (an element is path#id)
    data: bytes = field(repr=False)
    author: str = ""
    title: str = ""
    license: str = ""
    license_uri: str = ""
    package_license: str = ""
    kind: str = "object"
    group: str = ""  # split group: items of one group are all train or all val
    element: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()


# ------------------------------------------------------------------ metadata


def _first(rx, data: bytes) -> str:
    m = re.search(rx, data, re.S)
    return re.sub(r"\s+", " ", m.group(1).decode("utf-8", "replace")).strip() if m else ""


def svg_meta(data: bytes) -> dict:
    """creator, title, license URI from an SVG's RDF metadata (the rules of svg_meta.py)."""
    creator = _first(rb"<dc:creator>.*?<dc:title>(.*?)</dc:title>", data)
    work = re.search(rb"<cc:Work[^>]*>(.*?)</cc:Work>", data, re.S)
    title = ""
    if work:
        title = _first(rb"<dc:title>(.*?)</dc:title>", re.sub(rb"<cc:Agent.*?</cc:Agent>", b"", work.group(1), flags=re.S))
    if not title:
        title = _first(rb"<title[^>]*>(.*?)</title>", data)
    lic = _first(rb'<cc:license[^>]*rdf:resource="([^"]*)"', data) or _first(rb'<cc:License[^>]*rdf:about="([^"]*)"', data)
    return {"creator": creator, "title": title, "license_uri": lic}


def license_name(uri: str) -> str:
    """A short licence name from a licence URI ('' when it is not one of the known ones)."""
    u = uri.lower()
    if "publicdomain/zero" in u:
        return "CC0-1.0"
    if "publicdomain" in u or u == "public domain":
        return "Public domain"
    m = re.search(r"licenses/(by(?:-sa|-nd|-nc)*)/(\d\.\d)", u)
    if m:
        return "CC-%s-%s" % (m.group(1).upper(), m.group(2))
    if "gpl" in u:
        return "GPL (file metadata)"
    return ""


def dep5_name(lic: str) -> str:
    """A DEP-5 licence name as the manifest writes it ("public-domain" -> "Public domain")."""
    return "Public domain" if lic.strip().lower() == "public-domain" else lic.strip()


def is_open(name: str) -> bool:
    n = name.lower()
    if not n or "-nc" in n or "-nd" in n or "sampling" in n:
        return False
    parts = [re.sub(r" with .*| \(.*", "", p.strip()) for p in re.split(r"\s+(?:and|or)\s+|,", n)]
    parts = [re.sub(r"[-_ ]?\d+(\.\d+)*(-[a-z]{2})?\+?$", "", p) for p in parts]
    return all(p in OPEN_LICENSES or p == "public domain" for p in parts if p)


class Copyright:
    """A machine-readable Debian copyright file: licence and holders per file pattern."""

    def __init__(self, path: str):
        self.path = path
        self.paras: list[tuple[list[str], str, str]] = []
        text = Path(path).read_text(errors="replace") if os.path.exists(path) else ""
        for para in re.split(r"\n\s*\n", text):
            fields, key = {}, None
            for line in para.splitlines():
                if line[:1] in (" ", "\t") and key:
                    fields[key] += "\n" + line.strip()
                elif ":" in line:
                    key, v = line.split(":", 1)
                    fields[key.strip()] = v.strip()
            if "Files" in fields and "License" in fields:
                pats = fields["Files"].split()
                holders = fields.get("Copyright", "")
                self.paras.append((pats, fields["License"].splitlines()[0].strip(), holders))

    def lookup(self, rel: str) -> tuple[str, str]:
        """(licence, copyright holders) of the source file ``rel`` (last matching paragraph)."""
        lic, holders = "", ""
        for pats, l, h in self.paras:
            if any(fnmatch.fnmatchcase(rel, p) for p in pats):
                lic, holders = l, h
        return lic, holders


def holder_names(copyright_text: str) -> str:
    """'2016 Timothée Giet <x@y>' -> 'Timothée Giet' (each holder, years and e-mail dropped, '; ' between)."""
    names = []
    for line in (copyright_text or "").splitlines():
        line = re.sub(r"<[^>]*>", "", line)
        line = re.sub(r"(?i)^(copyright|\(c\)|©)\s*", "", line.strip())
        line = re.sub(r"^[\d\s,\-–]+(by\s+)?", "", line).replace("This_file_is_part_of_KDE", "KDE").strip(" ,.")
        if line and line.lower() != "none" and line not in names:
            names.append(line)
    return "; ".join(names)


# ------------------------------------------------------------------ kind

CHARACTER = set("""people person persons man men woman women boy girl child children kid kids baby babies face faces head
portrait lady guy king queen prince princess pirate clown wizard witch whitch fairy angel santa snowman alien monster
dragon tux penguin animal animals cat kitten dog puppy horse pony cow calf pig piglet sheep lamb goat chicken hen rooster
chick duck duckling goose bird birds owl parrot eagle fish shark whale dolphin octopus crab lobster frog toad turtle
tortoise snake lizard mouse rat rabbit bunny hare bear teddy lion tiger elephant giraffe monkey ape gorilla zebra fox wolf
deer reindeer squirrel hedgehog bee butterfly butterflies ladybug ladybird insect bug bugs spider snail worm dinosaur
dinosaurs mascot character characters unicorn camel kangaroo koala panda hippo hippopotamus rhino crocodile alligator seal walrus
bat ant caterpillar donkey ox bull family grandpa grandma granny grandfather grandmother mother father mom dad doctor
nurse police policeman fireman farmer teacher chef cook knight soldier astronaut cowboy ninja superhero mermaid elf
gnome troll goblin ghost zombie mummy vampire mammals mammal amphibian reptile reptiles dragonfly mosquito fly beetle
chipmunk beaver otter raccoon skunk moose buffalo bison leopard cheetah jaguar panther puma lynx flamingo swan stork
pelican peacock ostrich pigeon sparrow crow raven toucan hummingbird jellyfish starfish seahorse squid shrimp salmon
tuna goldfish dino bride groom sailor dancer ballerina musician singer student worker businessman scientist
gecko bunnies llama alpaca hamster guinea ferret mole badger weasel cub foal tadpole""".split())
SCENE = set("""background backgrounds landscape scene scenery beach forest city street room sky field garden park
underwater wallpaper panorama village town countryside farmland meadow seaside desert jungle island mountain mountains
gameboard playground valley""".split())
ICON = set("""icon icons button buttons flag flags sign signs symbol symbols arrow arrows logo logos letter letters alphabet
alphabets digit digits number numbers map maps country countries geography braille keyboard cursor menu emblem badge
smiley smilies emoticon checkbox ui bar bars dice die domino cards card clock chess checkers sudoku tangram
piano note notes score""".split())
ICON_FOLDERS = {"geo-country", "geography", "braille_alphabets", "braille_fun", "louis-braille", "alphabet-sequence",
                "click_on_letter", "click_on_letter_up", "drawletters", "drawnumbers", "learn_digits", "smallnumbers",
                "crane", "categorization", "signs_and_symbols", "logos", "buttons", "shapes", "computer", "sudoku",
                "chess", "checkers", "menu", "piano_composition", "digital_electricity", "analog_electricity",
                "nine_men_morris", "graph-coloring", "core", "bonus", "money", "letters", "smilies", "symbols",
                "roadsigns", "bargame", "algorithm", "railroad", "traffic", "learn_quantities", "path_encoding",
                "stickmen"}
OBJECT_FOLDERS = {"clothing", "clothes", "hats", "bodypart", "body_parts"}
SCENE_FOLDERS = {"photo_hunter", "watercycle", "renewable_energy", "chronos"}


def tokens(text: str) -> list[str]:
    toks = [t for t in re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()) if t]
    return toks + [t[:-1] for t in toks if len(t) > 3 and t.endswith("s")]


def classify(folders: list[str], name: str, title: str = "") -> str:
    """character / object / icon / scene from the folder names, the file or element name
    and the title. Folders that hold signs, letters, maps or UI make an icon whatever the
    name says; then the item's own name and title decide (a person or an animal, a
    scene, an icon word); then its folders (``clothing/`` and body parts are objects,
    ``animals/`` and ``people/`` characters); else object."""
    if any(f in ICON_FOLDERS for f in folders):
        return "icon"
    own = tokens(name + " " + title)
    if any(w in CHARACTER for w in own):
        return "character"
    if any(w in SCENE for w in own):
        return "scene"
    if any(w in ICON for w in own):
        return "icon"
    if any(f in OBJECT_FOLDERS for f in folders):
        return "object"
    if any(w in CHARACTER for w in tokens(" ".join(folders))):
        return "character"
    if any(f in SCENE_FOLDERS for f in folders):
        return "scene"
    return "object"


# ------------------------------------------------------------------ sources


def _svgs(root: str):
    for dp, dn, fn in os.walk(root):
        dn.sort()
        for f in sorted(fn):
            p = os.path.join(dp, f)
            if f.endswith((".svg", ".svgz")) and not os.path.islink(p):
                yield p


def openclipart(kinds=("character",)):
    """openclipart-svg drawings whose kind is in ``kinds`` (public domain)."""
    pkg_lic = "Public domain (Open Clip Art Library dedication, /usr/share/doc/openclipart-svg/copyright)"
    for p in _svgs(OPENCLIPART):
        data = open(p, "rb").read()
        m = svg_meta(data)
        rel = os.path.relpath(p, OPENCLIPART)
        folders = rel.split(os.sep)[:-1]
        kind = classify(folders, Path(p).stem, m["title"])
        if kind not in kinds:
            continue
        yield Item("openclipart-svg", p, data, m["creator"], m["title"], license_name(m["license_uri"]) or "Public domain",
                   m["license_uri"], pkg_lic, kind)


def tuxpaint(kinds=("character",)):
    """tuxpaint-stamps-default SVG stamps (GPL-2; some say public domain in their metadata)."""
    pkg_lic = "GPL-2 (/usr/share/doc/tuxpaint-stamps-default/copyright)"
    for p in _svgs(TUXPAINT):
        data = open(p, "rb").read()
        m = svg_meta(data)
        title = m["title"]
        txt = p.rsplit(".", 1)[0] + ".txt"
        if not title and os.path.exists(txt):
            title = open(txt, errors="replace").readline().strip()
        rel = os.path.relpath(p, TUXPAINT)
        kind = classify(rel.split(os.sep)[:-1], Path(p).stem, title)
        if kind not in kinds:
            continue
        yield Item("tuxpaint-stamps-default", p, data, m["creator"], title, license_name(m["license_uri"]) or "GPL-2",
                   m["license_uri"], pkg_lic, kind)


_EXTRACT = r"""
import os, sys
from PySide6.QtCore import QDirIterator, QFile, QIODevice, QResource
src, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    if not f.endswith(".rcc"):
        continue
    p = os.path.join(src, f)
    if not QResource.registerResource(p):
        continue
    it = QDirIterator(":/", QDirIterator.Subdirectories)
    names = []
    while it.hasNext():
        names.append(it.next())
    for x in sorted(names):
        if x.lower().endswith((".svg", ".svgz")):
            q = QFile(x)
            if q.open(QIODevice.ReadOnly):
                dst = os.path.join(out, x[2:])
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with open(dst, "wb") as fh:
                    fh.write(bytes(q.readAll()))
                print(f + "\t" + x)
    QResource.unregisterResource(p)
"""


def extract_gcompris(work: str) -> list[tuple[str, str]]:
    """Copy every SVG out of GCompris's Qt resource bundles into WORK/gcompris (in a
    subprocess, QtCore only, offscreen). Returns [(bundle, resource path)]."""
    out = os.path.join(work, "gcompris")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([sys.executable, "-c", _EXTRACT, GCOMPRIS_RCC, out], capture_output=True, text=True, env=env,
                       check=True)
    return [tuple(line.split("\t", 1)) for line in p.stdout.splitlines() if "\t" in line]


def gcompris(work: str, kinds=("character", "object", "scene", "icon")):
    """gcompris-qt-data SVGs (licence per file from /usr/share/doc/gcompris-qt-data/copyright)."""
    cr = Copyright("/usr/share/doc/gcompris-qt-data/copyright")
    for bundle, res in extract_gcompris(work):
        rel = res[2:]  # gcompris/src/activities/...
        src_rel = rel.split("/", 1)[1] if rel.startswith("gcompris/") else rel  # as named in the copyright file
        data = open(os.path.join(work, "gcompris", rel), "rb").read()
        m = svg_meta(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        lic, holders = cr.lookup(src_rel)
        lic = dep5_name(lic)
        folders = src_rel.split("/")[:-1]
        activity = folders[2] if len(folders) > 2 and folders[1] == "activities" else "/".join(folders[:2])
        inner = folders[4:] if len(folders) > 2 and folders[1] == "activities" else folders[2:]
        if Path(rel).stem == activity or "menu" in folders:  # an activity's menu icon
            kind = "icon"
        elif activity in ICON_FOLDERS or any(f in ICON_FOLDERS for f in folders):
            kind = "icon"
        else:
            kind = classify(inner + (["photo_hunter"] if activity in SCENE_FOLDERS else []), Path(rel).stem, m["title"])
        if kind not in kinds:
            continue
        author = m["creator"] or holder_names(holders)
        yield Item("gcompris-qt-data", "%s/%s:%s" % (GCOMPRIS_RCC, bundle, res), data, author, m["title"] or Path(rel).stem,
                   license_name(m["license_uri"]) or lic, m["license_uri"],
                   "%s (/usr/share/doc/gcompris-qt-data/copyright)" % (lic or "GPL-3+"), kind,
                   group="gcompris:" + activity)


def ktuberling(kinds=("character", "object", "scene", "icon")):
    """KTuberling theme pieces (ktuberling-data; GPL-2+, moon.svg CC-BY 3.0): every object
    of each theme's .theme list and the theme's background, each drawn alone."""
    cr = Copyright("/usr/share/doc/ktuberling-data/copyright")
    for theme in sorted(Path(KTUBERLING).glob("*.theme")):
        text = theme.read_text(errors="replace")
        board = re.search(r'gameboard="([^"]+)"', text)
        if not board:
            continue
        svg = theme.parent / board.group(1)
        raw = svg.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        lic, holders = cr.lookup("pics/" + svg.name)
        lic_uri = "https://creativecommons.org/licenses/by/3.0/us/" if lic == "CC-BY" else ""
        lic = "CC-BY-3.0-US" if lic == "CC-BY" else lic
        names = ["background"] + re.findall(r'<object\s+name="([^"]+)"', text)
        seen = set()
        for name in names:
            if name in seen or ('id="%s"' % name).encode() not in data:
                continue
            seen.add(name)
            kind = "scene" if name == "background" else classify([], name)
            if kind not in kinds:
                continue
            yield Item("ktuberling-data", "%s#%s" % (svg, name), raw, holder_names(holders) or "KDE", name.replace("_", " "),
                       lic, lic_uri, "%s (/usr/share/doc/ktuberling-data/copyright)" % lic, kind,
                       group="ktuberling:" + theme.stem, element=name)
