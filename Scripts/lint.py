#!/usr/bin/env python3
"""Frugal's structural lint (run by Scripts/lint.sh, which Scripts/test.sh runs before the tests).

Two checks, both over the package as it is on disk, standard library only:

1. imports: for every Swift target in Package.swift, the modules its sources import are exactly
   the modules it declares as dependencies (no missing one that merely happens to be reachable
   through another target, no unused one). System modules (Foundation, Glibc, Testing, ...) are
   not declared and are ignored. A test target may depend on an executable target without
   importing it: that dependency only makes SwiftPM build the binary the test launches.
2. function length: no function, initializer, subscript or computed property in Sources/ is
   longer than LIMIT lines (declaration line to closing brace, both included, blank and comment
   lines counted). Strings (including multi-line and raw ones) and comments are skipped when
   matching braces.

Exit status 0 when both checks pass, 1 otherwise; each finding is one line `lint: FILE:LINE: ...`.
Usage: lint.py [--limit N] [--only imports|length] [ROOT]
"""
import argparse
import os
import re
import sys

LIMIT = 80

# Functions allowed to be longer than LIMIT, as "path:name" -> why. Keep this empty unless a
# function truly reads better in one piece; every entry needs its reason.
LENGTH_EXCEPTIONS: dict = {}

# Modules that come with the toolchain or the OS, never declared in Package.swift.
SYSTEM_MODULES = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Dispatch",
    "Glibc", "Darwin", "Musl", "WinSDK", "Android", "Testing", "XCTest", "Synchronization",
    "_Concurrency", "Observation", "os", "RegexBuilder", "Swift", "_StringProcessing",
}


# ---------------------------------------------------------------------------------------------
# Package.swift


def split_top_level(text, opener, closer):
    """The text between `opener` at index 0 of text and its matching `closer` (naive about
    strings, which Package.swift's target lists do not put brackets in)."""
    depth = 0
    for index, character in enumerate(text):
        if character == opener:
            depth += 1
        elif character == closer:
            depth -= 1
            if depth == 0:
                return text[1:index]
    return text[1:]


def strip_swift_comments(text):
    """Package.swift without // comments (keeps strings containing // intact)."""
    out = []
    for line in text.split("\n"):
        in_string = False
        cut = len(line)
        for index, character in enumerate(line):
            if character == '"':
                in_string = not in_string
            elif not in_string and line.startswith("//", index):
                cut = index
                break
        out.append(line[:cut])
    return "\n".join(out)


TARGET_KINDS = ("target", "executableTarget", "testTarget", "systemLibrary", "macro", "plugin", "binaryTarget")


def package_targets(root):
    """[(kind, name, path, dependencies as module names, executable dependency names)]."""
    text = strip_swift_comments(open(os.path.join(root, "Package.swift"), encoding="utf-8").read())
    targets = []
    for match in re.finditer(r"\.(%s)\s*\(" % "|".join(TARGET_KINDS), text):
        kind = match.group(1)
        body = split_top_level(text[match.end() - 1:], "(", ")")
        name = re.search(r'name:\s*"([^"]+)"', body).group(1)
        path_match = re.search(r'\bpath:\s*"([^"]+)"', body)
        folder = "Tests" if kind == "testTarget" else "Sources"
        path = path_match.group(1) if path_match else os.path.join(folder, name)
        dependencies = []
        dependencies_match = re.search(r"\bdependencies:\s*\[", body)
        if dependencies_match:
            listing = split_top_level(body[dependencies_match.end() - 1:], "[", "]")
            for item in re.finditer(r'\.product\(\s*name:\s*"([^"]+)"[^)]*\)|\.target\(\s*name:\s*"([^"]+)"[^)]*\)|"([^"]+)"', listing):
                dependencies.append(item.group(1) or item.group(2) or item.group(3))
        targets.append((kind, name, path, dependencies))
    return targets


def imports_of(folder, root):
    """{module: first "file:line" importing it} over the Swift files under folder."""
    found = {}
    pattern = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+|@_implementationOnly\s+)*import\s+"
                         r"(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)")
    for directory, _, files in os.walk(folder):
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            path = os.path.join(directory, file)
            lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
            for number, line in enumerate(code_only(lines), 1):
                match = pattern.match(line)
                if match:
                    found.setdefault(match.group(1), f"{os.path.relpath(path, root)}:{number}")
    return found


def check_imports(root):
    findings = []
    targets = package_targets(root)
    executables = {name for kind, name, _, _ in targets if kind == "executableTarget"}
    for kind, name, path, dependencies in targets:
        if kind in ("systemLibrary", "binaryTarget", "plugin"):
            continue
        folder = os.path.join(root, path)
        imported = imports_of(folder, root)
        if not imported and not any(f.endswith(".swift") for _, _, fs in os.walk(folder) for f in fs):
            continue  # a C target: its headers say what it includes
        used = {module for module in imported if module not in SYSTEM_MODULES and module != name}
        declared = set(dependencies)
        for module in sorted(used - declared):
            findings.append(f"lint: {imported[module]}: target '{name}' imports {module} but Package.swift does not list it in its dependencies")
        for module in sorted(declared - used):
            if kind == "testTarget" and module in executables:
                continue  # built for the test to launch, not imported
            findings.append(f"lint: Package.swift: target '{name}' depends on {module} but no file in {path} imports it")
    return findings


def check_architecture_table(root):
    """The module table of docs/architecture.md lists each source target's dependencies as Package.swift does."""
    path = os.path.join(root, "docs", "architecture.md")
    if not os.path.exists(path):
        return []
    documented = {}
    for line in open(path, encoding="utf-8").read().split("\n"):
        match = re.match(r"^\|\s*`([A-Za-z]+)`\s*\|\s*([^|]*)\|\s*$", line)
        if match:
            listed = match.group(2).split("(")[0]
            documented[match.group(1)] = {m.strip() for m in listed.split(",") if m.strip() and m.strip() != "—"}
    findings = []
    for kind, name, path, dependencies in package_targets(root):
        if kind not in ("target", "executableTarget") or path.startswith("Tests") or (name.startswith("C") and name[1:2].isupper()):
            continue
        declared = set(dependencies)
        if name not in documented:
            findings.append(f"lint: docs/architecture.md: the module table has no row for target '{name}'")
        elif documented[name] != declared:
            findings.append(f"lint: docs/architecture.md: target '{name}' lists {sorted(documented[name])}, Package.swift {sorted(declared)}")
    return findings


# ---------------------------------------------------------------------------------------------
# Function length


def code_only(lines):
    """Each line with string literals, comments and character contents blanked out, so braces
    and keywords are only those of code. Handles //, nested /* */, "..." with escapes and
    interpolation, multi-line \"\"\" strings and raw #"..."# strings."""
    out = []
    state = []           # stack: ("block", depth) | ("string", hashes, multiline) | ("interp", paren depth)
    for line in lines:
        result = []
        i = 0
        n = len(line)
        while i < n:
            top = state[-1] if state else None
            c = line[i]
            if top and top[0] == "block":
                if line.startswith("*/", i):
                    state.pop(); i += 2; continue
                if line.startswith("/*", i):
                    state.append(("block",)); i += 2; continue
                i += 1; continue
            if top and top[0] == "string":
                _, hashes, multiline = top
                closing = ('"""' if multiline else '"') + "#" * hashes
                if c == "\\" and line.startswith("\\" + "#" * hashes + "(", i):
                    state.append(("interp", 0)); i += 2 + hashes; result.append("(")
                    continue
                if c == "\\" and hashes == 0:
                    i += 2; continue
                if line.startswith(closing, i):
                    state.pop(); i += len(closing); result.append('"')
                    continue
                i += 1; continue
            # code, or code inside an interpolation
            if top and top[0] == "interp":
                if c == "(":
                    state[-1] = ("interp", top[1] + 1)
                elif c == ")":
                    if top[1] == 0:
                        state.pop(); i += 1; result.append(")"); continue
                    state[-1] = ("interp", top[1] - 1)
            if line.startswith("//", i):
                break
            if line.startswith("/*", i):
                state.append(("block",)); i += 2; continue
            raw = re.match(r'(#+)("""|")', line[i:])
            if raw:
                hashes = len(raw.group(1)); multiline = raw.group(2) == '"""'
                state.append(("string", hashes, multiline)); i += len(raw.group(0)); result.append('"')
                continue
            if line.startswith('"""', i):
                state.append(("string", 0, True)); i += 3; result.append('"'); continue
            if c == '"':
                state.append(("string", 0, False)); i += 1; result.append('"'); continue
            result.append(c); i += 1
        # a single-line string cannot continue past its line (keeps a stray quote from eating a file)
        while state and state[-1][0] in ("string", "interp") and not (state[-1][0] == "string" and state[-1][2]):
            if state[-1][0] == "interp" and any(s[0] == "string" and s[2] for s in state):
                break
            state.pop()
        out.append("".join(result))
    return out


MODIFIERS = r"(?:public|private|fileprivate|internal|package|open|static|class|mutating|nonmutating|override|final|" \
            r"nonisolated|convenience|required|dynamic|lazy|indirect|consuming|borrowing)"
DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:" + MODIFIERS + r"(?:\([^)]*\))?\s+)*"
    r"(?P<what>func\s+(?P<func>[^\s(<]+)|(?P<init>init)[?!]?\s*[(<]|(?P<subscript>subscript)\s*[(<]|deinit\b|"
    r"var\s+(?P<var>\w+)\s*:[^=]*\{\s*$)")


def long_functions(root, limit):
    """[(lines, path, line number, name)] of the declarations in root/Sources longer than limit."""
    found = []
    for directory, _, files in os.walk(os.path.join(root, "Sources")):
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            path = os.path.join(directory, file)
            raw = open(path, encoding="utf-8", errors="replace").read().split("\n")
            code = code_only(raw)
            for start, line in enumerate(code):
                match = DECLARATION.match(line)
                if not match:
                    continue
                name = match.group("func") or match.group("var") or ("init" if match.group("init") else
                                                                  "subscript" if match.group("subscript") else "deinit")
                # The body is the first brace outside the signature's parentheses (a default
                # closure argument is inside them); it opens within a few lines, and a protocol
                # requirement has none.
                depth, parens, opened, end = 0, 0, False, None
                for index in range(start, len(code)):
                    if not opened and index > start + 8:
                        break
                    for character in code[index]:
                        if not opened and character in "([":
                            parens += 1
                        elif not opened and character in ")]":
                            parens -= 1
                        elif character == "{" and (opened or parens == 0):
                            depth += 1; opened = True
                        elif character == "}" and opened:
                            depth -= 1
                            if depth == 0:
                                end = index
                                break
                    if end is not None:
                        break
                    if not opened and parens == 0 and index > start and DECLARATION.match(code[index]):
                        break
                if end is None:
                    continue
                length = end - start + 1
                if length > limit:
                    found.append((length, os.path.relpath(path, root), start + 1, name))
    return found


def check_length(root, limit):
    findings = []
    for length, path, line, name in sorted(long_functions(root, limit), key=lambda f: (-f[0], f[1])):
        if f"{path}:{name}" in LENGTH_EXCEPTIONS:
            continue
        findings.append(f"lint: {path}:{line}: {name} is {length} lines (limit {limit}); split it into named steps")
    return findings


SELF_TEST = r'''
struct S {
    func short() { let s = "}}}" ; let t = #"raw "}" still"# }
    func withDefault(body: () -> Void = { }, other: Int = 0) -> Int {
        let text = """
        } } } not code: \(other) { interpolated }
        """
        /* a { block
           comment } */
        // a } line comment
        return text.count
    }
    var computed: Int {
        1
    }
    init?(x: Int) where X: Y {
        return nil
    }
    func requirementWithoutBody()
}
'''


def self_test():
    """The brace matcher on strings, raw strings, multi-line strings with interpolation,
    comments and default closure arguments: each declaration's measured length."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "Sources", "T"))
        with open(os.path.join(root, "Sources", "T", "S.swift"), "w") as file:
            file.write(SELF_TEST)
        found = {name: length for length, _, _, name in long_functions(root, 0)}
    expected = {"short": 1, "withDefault": 9, "computed": 3, "init": 3}
    if found != expected:
        print(f"lint: self-test FAILED: measured {found}, expected {expected}")
        return 1
    print("lint: ok   self-test of the brace matcher")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--only", choices=["imports", "length"])
    parser.add_argument("--self-test", action="store_true", help="check the brace matcher on tricky Swift, then exit")
    parser.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    arguments = parser.parse_args()
    if arguments.self_test:
        return self_test()
    root = os.path.normpath(arguments.root)
    sections = []
    if arguments.only in (None, "imports"):
        sections.append(("imports match Package.swift dependencies", check_imports(root)))
        sections.append(("docs/architecture.md's module table matches Package.swift", check_architecture_table(root)))
    if arguments.only in (None, "length"):
        sections.append((f"functions in Sources at most {arguments.limit} lines", check_length(root, arguments.limit)))
    failed = False
    for title, findings in sections:
        if findings:
            failed = True
            print(f"lint: FAIL {title} ({len(findings)} finding{'s' if len(findings) != 1 else ''}):")
            for finding in findings:
                print("  " + finding)
        else:
            print(f"lint: ok   {title}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
