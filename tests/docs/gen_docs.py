#!/usr/bin/env python3
"""Regenerate the schema parts of docs/ from the provider's own schema.

The attribute lists of every page (Required / Optional / Read-Only and the
nested schemas, in the layout the Terraform registry uses) are written from
`terraform providers schema -json`, i.e. from the description strings in the
C schema tables. Hand-written prose and examples stay: only the text between
the markers

    <!-- schema: KIND TYPE [PART] -->   (KIND: resource, data-source,
    ...generated...                      ephemeral-resource, provider;
    <!-- /schema -->                     TYPE: e.g. lxd_storage_pool, lxd)

is replaced. Without PART the whole schema is written; PART `arguments`
writes what a configuration sets (Required, Optional, blocks) and
`attributes` what the provider reports (Read-Only), for pages laid out as
"Argument Reference" and "Attribute Reference". Usage:

    gen_docs.py SCHEMA_JSON DOCS_DIR          rewrite the pages
    gen_docs.py --check SCHEMA_JSON DOCS_DIR  exit 1 listing stale pages

Exit status: 0 done / up to date, 1 stale (--check) or a marker names a type
the schema lacks, 2 usage or input errors.
"""
import json
import os
import re
import sys

MARKER = re.compile(r'(<!-- schema: ([a-z-]+) ([a-z0-9_]+)(?: (arguments|attributes))? -->\n)(.*?)(<!-- /schema -->)', re.S)
PROVIDERS = {'lxd': 'registry.terraform.io/lxdcapi/lxd',
             'k8s': 'registry.terraform.io/lxdcapi/k8s'}
KIND_KEY = {'resource': 'resource_schemas',
            'data-source': 'data_source_schemas',
            'ephemeral-resource': 'ephemeral_resource_schemas'}


WRITE_ONLY_URL = ('https://developer.hashicorp.com/terraform/language/'
                  'resources/ephemeral#write-only-arguments')
WRITE_ONLY_NOTE = ('~> **NOTE:** [Write-only arguments](%s) are supported '
                   'in Terraform 1.11 and later.' % WRITE_ONLY_URL)


def has_write_only(block):
    """Does the block hold a write-only attribute at any depth?"""
    if any(a.get('write_only') for a in block.get('attributes', {}).values()):
        return True
    return any(has_write_only(b['block'])
               for b in block.get('block_types', {}).values())


def type_name(t):
    """Registry wording of a cty type JSON."""
    if isinstance(t, str):
        return {'string': 'String', 'number': 'Number', 'bool': 'Boolean',
                'dynamic': 'Dynamic'}.get(t, t)
    kind, inner = t[0], t[1]
    if kind in ('list', 'set', 'map'):
        return '%s of %s' % (kind.capitalize(), type_name(inner))
    if kind == 'object':
        return 'Object'
    if kind == 'tuple':
        return 'Tuple'
    return str(t)


def anchor(path):
    return 'nestedblock--' + '--'.join(path)


NESTED_LABEL = {'single': 'Attributes', 'list': 'Attributes List',
                'set': 'Attributes Set', 'map': 'Attributes Map'}


def attr_line(name, a, path=()):
    nt = a.get('nested_type')
    tags = [type_name(a['type']) if 'type' in a else
            NESTED_LABEL.get((nt or {}).get('nesting_mode'), 'Attributes')]
    if a.get('sensitive'):
        tags.append('Sensitive')
    if a.get('write_only'):
        tags.append('[Write-only](%s)' % WRITE_ONLY_URL)
    if a.get('deprecated'):
        tags.append('Deprecated')
    desc = ' '.join((a.get('description') or '').split())
    if object_of(a.get('type')) or nt:
        desc += (' ' if desc else '') + '(see [below for nested schema](#nestedatt--%s))' % '--'.join(list(path) + [name])
    return '- `%s` (%s)%s' % (name, ', '.join(tags), ' ' + desc if desc else '')


def block_line(name, b, path):
    nesting = b.get('nesting_mode', 'single')
    label = {'single': 'Block', 'group': 'Block', 'list': 'Block List',
             'set': 'Block Set', 'map': 'Block Map'}.get(nesting, 'Block')
    extra = []
    if b.get('min_items'):
        extra.append('Min: %d' % b['min_items'])
    if b.get('max_items') and nesting in ('list', 'set'):
        extra.append('Max: %d' % b['max_items'])
    desc = ' '.join((b['block'].get('description') or '').split())
    return '- `%s` (%s) %s(see [below for nested schema](#%s))' % (
        name, ', '.join([label] + extra), desc + ' ' if desc else '', anchor(path + [name]))


def groups(block, path):
    """(required, optional, read-only) lines of a block's attributes, in
    the schema's order (Terraform sorts them by name)."""
    req, opt, ro = [], [], []
    for name, a in block.get('attributes', {}).items():
        line = attr_line(name, a, path)
        if a.get('required'):
            req.append(line)
        elif a.get('optional'):
            opt.append(line)
        else:
            ro.append(line)
    return req, opt, ro


def object_of(t):
    """The attribute types of an object type, or of the object elements of
    a collection type; None otherwise."""
    if isinstance(t, list) and t[0] == 'object':
        return t[1]
    if isinstance(t, list) and t[0] in ('list', 'set', 'map'):
        return object_of(t[1])
    return None


def is_argument(a):
    return bool(a.get('optional') or a.get('required'))


def render_objects(block, path, out, part=None):
    """A nested schema (field names and types) for each object-typed
    attribute (of PART only, when given); what the fields mean is in the
    attribute's description."""
    for name, a in block.get('attributes', {}).items():
        if part and (part == 'arguments') != is_argument(a):
            continue
        if a.get('nested_type'):
            # A nested attribute: its attributes grouped like a block's.
            sub = path + [name]
            out.append('<a id="nestedatt--%s"></a>' % '--'.join(sub))
            out.append('### Nested Schema for `%s`' % '.'.join(sub))
            out.append('')
            render_block({'attributes': a['nested_type'].get('attributes', {})},
                         sub, out, False)
            continue
        fields = object_of(a.get('type'))
        if not fields or (part and (part == 'arguments') != is_argument(a)):
            continue
        sub = path + [name]
        out.append('<a id="nestedatt--%s"></a>' % '--'.join(sub))
        out.append('### Nested Schema for `%s`' % '.'.join(sub))
        out.append('')
        out.append('Fields:' if is_argument(a) else 'Read-Only:')
        out.append('')
        for fname in sorted(fields):
            out.append('- `%s` (%s)' % (fname, type_name(fields[fname])))
        out.append('')


def render_block(block, path, out, top, part=None):
    """The lists of BLOCK; at the top level PART (None, 'arguments' or
    'attributes') picks which lists, nested blocks being arguments."""
    req, opt, ro = groups(block, path)
    nested = block.get('block_types', {})
    for name, b in nested.items():
        line = block_line(name, b, path)
        (req if b.get('min_items') else opt).append(line)
    if part == 'arguments':
        ro = []
    elif part == 'attributes':
        req, opt, nested = [], [], {}
    heading = '### %s' if top else '%s:'
    for title, lines in (('Required', req), ('Optional', opt), ('Read-Only', ro)):
        if lines:
            out.append(heading % title)
            out.append('')
            out.extend(lines)
            out.append('')
    render_objects(block, path, out, part)
    for name, b in nested.items():
        sub = path + [name]
        out.append('<a id="%s"></a>' % anchor(sub))
        out.append('### Nested Schema for `%s`' % '.'.join(sub))
        out.append('')
        render_block(b['block'], sub, out, False)


def render(kind, tname, schemas, part=None):
    if kind == 'provider':
        ps = schemas.get(PROVIDERS.get(tname, ''))
        block = ps and ps.get('provider', {}).get('block')
    else:
        prov = PROVIDERS.get(tname.split('_', 1)[0], '')
        block = schemas.get(prov, {}).get(KIND_KEY.get(kind, ''), {}).get(tname, {}).get('block')
    if block is None:
        return None
    out = []
    if part != 'attributes' and has_write_only(block):
        out += [WRITE_ONLY_NOTE, '']
    render_block(block, [], out, True, part)
    while out and out[-1] == '':
        out.pop()
    return '\n'.join(out) + '\n'


def main(argv):
    check = False
    if argv and argv[0] == '--check':
        check, argv = True, argv[1:]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        schemas = json.load(f).get('provider_schemas', {})
    stale, missing, seen = [], [], 0
    for root, _, files in os.walk(argv[1]):
        for fn in sorted(files):
            if not fn.endswith('.md'):
                continue
            path = os.path.join(root, fn)
            with open(path) as f:
                text = f.read()

            def repl(m):
                nonlocal seen
                seen += 1
                body = render(m.group(2), m.group(3), schemas, m.group(4))
                if body is None:
                    missing.append('%s: %s %s' % (path, m.group(2), m.group(3)))
                    return m.group(0)
                return m.group(1) + body + m.group(6)

            new = MARKER.sub(repl, text)
            if new != text:
                stale.append(path)
                if not check:
                    with open(path, 'w') as f:
                        f.write(new)
    for m in missing:
        print('gen_docs: no schema for marker in %s' % m, file=sys.stderr)
    if seen == 0:
        print('gen_docs: no schema markers found under %s' % argv[1], file=sys.stderr)
        return 2
    if check and stale:
        for p in stale:
            print('gen_docs: stale: %s (run `make docs`)' % p, file=sys.stderr)
        return 1
    if not check:
        for p in stale:
            print('gen_docs: wrote %s' % p)
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
