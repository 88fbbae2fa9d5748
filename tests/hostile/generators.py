"""Generators of hostile input, one family at a time. Everything is written here; nothing is copied."""

from __future__ import annotations

import re
from pathlib import Path

from tests.hostile.harness import EXAMPLE

# Charsets a sender may declare: odd, wrong, not text encodings at all, or not charsets.
CHARSETS = (
    "utf-16",
    "utf-16-le",
    "utf-32",
    "utf-7",
    "unicode_escape",
    "raw_unicode_escape",
    "idna",
    "punycode",
    "rot13",
    "zlib",
    "base64",
    "hex",
    "uu",
    "bz2",
    "x-no-such-charset",
    "utf-8\x00",
    "../../etc",
    "iso-2022-jp",
    "cp037",
    "mbcs",
    "utf-8-sig",
    "latin-1",
    "",
)
# Byte strings no charset is comfortable with: odd lengths, lone escapes, invalid UTF-8, NULs.
AWKWARD_BYTES = (
    b"abc",
    b"\\N{",
    b"\\x4",
    b"+AGE-+ZZZ-",
    b"\xe9\xff\xfe\x00",
    b"\xed\xa0\x80",
    b"xn--\xff",
    b"\\u12",
    b"\x00\x00\x00",
)


def example_messages() -> list[bytes]:
    """The bundled example series, one message each (cover letter first)."""
    mbox = (EXAMPLE / "series.mbox").read_bytes()
    return [b"From mboxrd@z" + part for part in mbox.split(b"From mboxrd@z")[1:]]


def patch_two() -> bytes:
    """[PATCH v2 2/2] of the example: a complete VM_SCRATCH."""
    return example_messages()[2]


def latin1_patch() -> bytes:
    """Patch 2 with one Latin-1 byte in its subject and in its smaps mnemonic, and proc.rst left alone, so
    that a finding (the undocumented mnemonic) carries the byte."""
    message = patch_two().replace(b"hibernation images\n", b"hibernation \xe9mages\n", 1)
    message = message.replace(b'= "sc",', b'= "s\xe9",')
    proc = re.compile(rb"diff --git a/Documentation/.*?(?=diff --git )", re.DOTALL)
    return proc.sub(b"", message)


def with_charset(message: bytes, charset: str, payload: bytes) -> bytes:
    """A single-part message declaring `charset`, whose body is `payload` followed by the original body."""
    head, _, body = message.partition(b"\n\n")
    lines = [ln for ln in head.split(b"\n") if not ln.lower().startswith(b"content-")]
    lines += [
        b"MIME-Version: 1.0",
        b'Content-Type: text/plain; charset="' + charset.encode("latin-1") + b'"',
        b"Content-Transfer-Encoding: 8bit",
    ]
    return b"\n".join(lines) + b"\n\n" + payload + b"\n" + body


def new_file_patch(lines: int, path: str = "include/generated/big_table.h") -> bytes:
    """One patch adding a generated header of `lines` lines (a table, as generated headers are)."""
    body = "".join(f'+\t{{ {n:#x}, "entry_{n}" }},\n' for n in range(lines))
    return (
        "From: Gen Erator <gen@example.org>\nSubject: [PATCH] add a generated table\n"
        "Message-Id: <big@example.org>\n\nA big generated table.\n\n"
        "Signed-off-by: Gen Erator <gen@example.org>\n"
        f"---\ndiff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{lines} @@\n{body}-- \n2.39.5\n"
    ).encode()


def redefining_blocks_patch(blocks: int, path: str = "mm/pick.c") -> bytes:
    """One patch adding a C file that picks one CPU name among `blocks`, each block defining it unless one
    before did (the way arch headers choose): each block's condition holds the one before it twice. A
    function of the file masks flags, so that the flow rules parse it (and preprocess the file)."""
    lines: list[str] = []
    for n in range(blocks):
        lines += [f"#ifdef CONFIG_CPU_{n}", "# ifdef CPU_NAME", "#  undef MULTI_CPU", "#  define MULTI_CPU"]
        lines += ["# else", f"#  define CPU_NAME cpu_{n}", "# endif", "#endif"]
    lines += ["", "int pick(unsigned long flags)", "{", "\tflags &= VM_READ;", "\tif (flags & VM_WRITE)"]
    lines += ["\t\treturn 1;", "\treturn 0;", "}"]
    body = "".join(f"+{line}\n" for line in lines)
    return (
        "From: Pick Er <pick@example.org>\nSubject: [PATCH] mm: pick a CPU name\n"
        "Message-Id: <pick@example.org>\n\nPick one.\n\nSigned-off-by: Pick Er <pick@example.org>\n"
        f"---\ndiff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}-- \n2.39.5\n"
    ).encode()


def many_patches(count: int) -> bytes:
    """An mbox of `count` distinct patches, each adding one file of a few lines."""
    out = []
    for n in range(1, count + 1):
        path = f"drivers/misc/part{n}.c"
        out.append(
            f"From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: Many <many@example.org>\n"
            f"Subject: [PATCH {n}/{count}] misc: add part {n}\nMessage-Id: <part{n}@example.org>\n\n"
            f"Part {n}.\n---\ndiff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,3 @@\n"
            f"+int part{n}(void)\n+{{\n+\treturn {n};\n-- \n2.39.5\n\n"
        )
    return "".join(out).encode()


def many_hunks_patch(hunks: int, path: str = "mm/memory.c") -> bytes:
    """One patch changing `hunks` places of one file, each hunk with three lines of context either side."""
    parts = []
    for n in range(hunks):
        start = 10 + n * 20
        parts.append(
            f"@@ -{start},7 +{start},7 @@ static int f{n}(void)\n"
            f" \tint a{n} = 0;\n \tint b{n} = 1;\n \tint c{n} = 2;\n-\treturn a{n};\n+\treturn b{n};\n"
            f" \tint d{n} = 3;\n \tint e{n} = 4;\n \tint g{n} = 5;\n"
        )
    return (
        "From: Hunk Er <hunk@example.org>\nSubject: [PATCH] mm: many small changes\n"
        "Message-Id: <hunks@example.org>\n\nMany changes.\n---\n"
        f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
        + "".join(parts)
        + "-- \n2.39.5\n"
    ).encode()


def two_patches_same_file(hunks: int, path: str = "mm/memory.c") -> bytes:
    """Two patches of one series touching the same file in `hunks` places each: without a tree, the second
    patch moves every line the first one showed."""
    first = many_hunks_patch(hunks, path).decode()
    second = (
        first.replace("return a", "return z").replace("return b", "return a").replace("return z", "return b")
    )
    second = second.replace("[PATCH]", "[PATCH 2/2]").replace("<hunks@", "<hunks2@")
    first = first.replace("[PATCH]", "[PATCH 1/2]")
    return (
        "From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        + first
        + "\nFrom mboxrd@z Thu Jan  1 00:00:00 1970\n"
        + second
    ).encode()


HUGE = "9" * 5000  # more digits than Python's int() accepts from a string


def huge_numbers() -> dict[str, bytes]:
    """Small mails with a 5,000-digit number where a count, a version or a line number goes."""
    patch = patch_two().decode()
    quoted = "\n".join("> " + line for line in patch.split("\n\n", 1)[1].splitlines())
    reply = (
        "From: Re Viewer <re@example.org>\nSubject: Re: [PATCH v2 2/2] mm: add VM_SCRATCH\n"
        "In-Reply-To: <20260303090000.2.v2-ada@example.org>\nMessage-Id: <re@example.org>\n\n"
    )
    return {
        "hunk count": patch.replace("@@ -41,6 +41,13 @@", f"@@ -41,{HUGE} +41,13 @@").encode(),
        "hunk start": patch.replace("@@ -41,6 +41,13 @@", f"@@ -{HUGE},6 +41,13 @@").encode(),
        "diffstat": patch.replace("5 files changed, 22", f"{HUGE} files changed, {HUGE}").encode(),
        "version": patch.replace("[PATCH v2 2/2]", f"[PATCH v{HUGE} 2/2]").encode(),
        "glued version": patch.replace("[PATCH v2 2/2]", f"[PATCHv{HUGE} 2/2]").encode(),
        "counters": patch.replace("[PATCH v2 2/2]", f"[PATCH v2 {HUGE}/{HUGE}]").encode(),
        "quote depth": (reply + "\n".join(">" * 5000 + " " + line for line in quoted.splitlines())).encode(),
        "quoted hunk count": (
            reply + quoted.replace("@@ -41,6 +41,13 @@", f"@@ -41,{HUGE} +41,13 @@")
        ).encode(),
        "far line number": patch.replace("@@ -41,6 +41,13 @@", "@@ -999999990,6 +999999990,13 @@").encode(),
    }


ARCHES = (
    "alpha",
    "arc",
    "arm",
    "arm64",
    "csky",
    "hexagon",
    "loongarch",
    "m68k",
    "microblaze",
    "mips",
    "nios2",
    "openrisc",
    "parisc",
    "powerpc",
    "riscv",
    "s390",
    "sh",
    "sparc",
    "um",
    "x86",
    "xtensa",
)


def nested_macro_tree(tree: Path, depth: int = 7) -> Path:
    """The example tree with 21 architectures and a `source` line nesting $(SRCARCH) `depth` times (21**7
    paths if expanded), and a flag guarded by a symbol only a file behind that line could define."""
    for arch in ARCHES:
        (tree / "arch" / arch).mkdir(parents=True, exist_ok=True)
        if not (tree / "arch" / arch / "Kconfig").exists():
            (tree / "arch" / arch / "Kconfig").write_text(f"config ARCH_{arch.upper()}_DEMO\n\tdef_bool y\n")
    nested = "/".join(["$(SRCARCH)"] * depth)
    with (tree / "Kconfig").open("a") as fh:
        fh.write(f'source "arch/{nested}/Kconfig"\n')
    mm_h = tree / "include" / "linux" / "mm.h"
    mm_h.write_text(
        mm_h.read_text().replace(
            "/* Flags a child",
            "#ifdef CONFIG_DEEP_DEMO\n#define VM_DEEP\t\t0x08000000\n#else\n"
            "#define VM_DEEP\t\tVM_NONE\n#endif\n\n/* Flags a child",
        )
    )
    return tree


COVER_DIFF = (
    "diff --git a/include/linux/mm.h b/include/linux/mm.h\n"
    "index 9a1302d..3b2c1d0 100644\n--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
    "@@ -32,6 +32,7 @@\n"
    " #define VM_NORESERVE\t0x00200000\t/* should the VM suppress accounting */\n"
    " #define VM_WIPEONFORK\t0x02000000\t/* Wipe VMA contents in child. */\n"
    " #define VM_DONTDUMP\t0x04000000\t/* Do not include in the core dump */\n"
    "+#define VM_COVERED\t0x08000000\t/* added by the cover letter */\n"
    " \n #ifdef CONFIG_64BIT\n #define VM_DROPPABLE_BIT\t40\n"
)


def cover_letter_with_diff(*, interdiff: bool = False) -> bytes:
    """The example series whose cover letter [PATCH v2 0/2] also carries a diff: a flag without its smaps
    mnemonic (or, with `interdiff`, the same diff under format-patch's "Interdiff against v1:" title)."""
    cover, *rest = example_messages()
    title = "Interdiff against v1:\n" if interdiff else ""
    cover = cover.replace(b"\nbase-commit:", ("\n" + title + COVER_DIFF + "\nbase-commit:").encode(), 1)
    return cover + b"".join(rest)


def bad_patch() -> bytes:
    """Patch 2 without its smaps mnemonic: VM_SCRATCH shows '??' in VmFlags (PC201, an error)."""
    smaps = re.compile(rb"diff --git a/fs/proc/task_mmu.c.*?(?=diff --git )", re.DOTALL)
    return smaps.sub(b"", patch_two())


def base64_encoded(message: bytes) -> bytes:
    """The same message with its body sent base64-encoded, as some mailers do."""
    import base64

    head, _, body = message.partition(b"\n\n")
    lines = [ln for ln in head.split(b"\n") if not ln.lower().startswith((b"content-", b"mime-version"))]
    lines += [
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=UTF-8",
        b"Content-Transfer-Encoding: base64",
    ]
    encoded = base64.encodebytes(body)
    return b"\n".join(lines) + b"\n\n" + encoded
