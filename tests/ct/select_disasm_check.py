#!/usr/bin/env python3
"""Checks the machine code of the Ed25519 signer's table selects (ed25519_sign.cc select and
select4) for what constant-time selection needs, where valgrind cannot look (it cannot run the
AVX-512 IFMA path): every entry of a comb row is read at an address that does not depend on the
secret digit, and nothing branches on it.

Usage: select_disasm_check.py OBJDUMP LIBRARY FUNCTION...
Each FUNCTION is a demangled name prefix that must occur in LIBRARY. Rules, per instruction:
- no memory operand with an index register (a table index would be the digit);
- no masked instruction ({%k..}) with a memory operand (a masked-off load need not touch memory);
- conditional jumps only backwards (a loop's back-edge over the row's entries).
"""
import re
import subprocess
import sys


def functions(objdump, library):
    out = subprocess.run([objdump, '-d', '--no-show-raw-insn', '-C', library],
                         check=True, capture_output=True, text=True).stdout
    funcs, name = {}, None
    for line in out.splitlines():
        m = re.match(r'^([0-9a-f]+) <(.*)>:$', line)
        if m:
            name = m.group(2)
            funcs.setdefault(name, [])
            continue
        m = re.match(r'^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$', line)
        if m and name is not None:
            funcs[name].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return funcs


def problems(insns):
    for addr, op, args in insns:
        args = args.split('#')[0]
        if op.startswith('nop') or op.startswith('lea'):
            continue  # no memory access
        if re.search(r'\(%\w*,%\w+', args):
            yield f'{addr:x}: {op} {args.strip()}: memory operand with an index register'
        if '{%k' in args and '(' in args:
            yield f'{addr:x}: {op} {args.strip()}: masked instruction with a memory operand'
        if re.fullmatch(r'j(?!mp)[a-z]+', op):
            target = int(args.split()[0], 16)
            if target >= addr:
                yield f'{addr:x}: {op} {args.strip()}: conditional jump forwards'


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    objdump, library, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    funcs = functions(objdump, library)
    failed = False
    for w in wanted:
        found = [n for n in funcs if n.startswith(w)]
        if not found:
            print(f'FAIL: no function {w} in {library}')
            failed = True
            continue
        for n in found:
            bad = list(problems(funcs[n]))
            print(f'{"FAIL" if bad else "ok"}: {n} ({len(funcs[n])} instructions)')
            for b in bad:
                print(f'  {b}')
            failed = failed or bool(bad)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
