"""Rules Terraform enforces on a provider's answers, for tests to apply to
ours. Each check returns a list of Problem (empty: the answer passes);
each rule names, in SOURCES, the code it mirrors (Terraform v1.14.9
unless said otherwise; terraform-plugin-framework where core itself does
not enforce a rule but the framework, which most providers are built on,
does and Terraform's identity design expects it).

Values are those of tfc.values (None null, Unknown, dicts for objects);
schemas those of tfc.schema (Block, Attr).
"""
import collections

from . import values
from .schema import Block

Problem = collections.namedtuple("Problem", "rule path message")

SOURCES = {
    "identity-known": (
        "terraform internal/terraform/node_resource_abstract_instance.go "
        "NodeAbstractResourceInstance.validateIdentityKnown, applied to "
        "ReadResource.new_identity (refresh), PlanResourceChange."
        "planned_identity (plan; not on create or replace) and "
        "ApplyResourceChange.new_identity (apply)"),
    "identity-conforms": (
        "terraform internal/terraform/node_resource_abstract_instance.go "
        "NodeAbstractResourceInstance.validateIdentity (TestConformance "
        "against the identity schema's implied type)"),
    "identity-stable": (
        "terraform-plugin-framework internal/fwserver/"
        "server_readresource.go Server.ReadResource, internal/fwserver/"
        "server_planresourcechange.go Server.PlanResourceChange, "
        "internal/fwserver/server_updateresource.go Server.UpdateResource: "
        "'Unexpected Identity Change' (core v1.14.9 checks only that an "
        "identity is known and conforms; it does not compare them)"),
    "import-identity": (
        "terraform internal/terraform/node_resource_plan_instance.go "
        "NodePlannableResourceInstance.importState: \"import of ... "
        "didn't return an identity\" when importing by identity"),
    "list-identity": (
        "terraform internal/plugin6/grpc_provider.go "
        "GRPCProvider.ListResource: \"missing identity data in "
        "ListResource event\"; an error diagnostic ends the listing; an "
        "event with warnings and no identity is skipped; reading stops at "
        "`limit` events"),
    "list-object": (
        "terraform internal/plugin6/grpc_provider.go "
        "GRPCProvider.ListResource: resource_object decoded against the "
        "managed resource's schema when include_resource_object"),
    "list-object-read": (
        "terraform internal/terraform/node_resource_plan_instance.go "
        "generateHCLListResourceDef (`query -generate-config-out` writes "
        "each listed object's configuration from its resource_object and "
        "an `import` block with its identity) and importState (that "
        "import then runs ImportResourceState by identity and "
        "ReadResource): a resource_object other than the read state "
        "plans a change right after the import"),
    "list-unknown-type": (
        "terraform internal/plugin6/grpc_provider.go "
        "GRPCProvider.ListResource / ValidateListResourceConfig: "
        "\"unknown list resource type\" for a type outside "
        "list_resource_schemas; a provider asked anyway must answer with "
        "an error diagnostic (an event), which Terraform reports"),
    "list-stop": (
        "terraform internal/providers/provider.go Interface.Stop: the "
        "provider should halt any in-flight actions (StopProvider); "
        "internal/plugin6/grpc_provider.go ListResource cancels the "
        "stream's context when it returns"),
    "genconfig-computed": (
        "terraform internal/genconfig/generate_config.go "
        "ExtractLegacyConfigFromState (computed-only and deprecated "
        "attributes never in configuration) and "
        "writeConfigAttributesFromExisting; the provider's config is "
        "decoded against the resource type in internal/plugin6/"
        "grpc_provider.go GRPCProvider.GenerateResourceConfig"),
    "plan-valid": (
        "terraform internal/plans/objchange/plan_valid.go AssertPlanValid "
        "/ assertPlanValid / assertPlannedValueValid ('Provider produced "
        "invalid plan')"),
    "write-only-null": (
        "terraform internal/lang/ephemeral/validate.go "
        "ValidateWriteOnlyAttributes, applied by internal/terraform to "
        "read, plan, apply, import and upgrade results"),
}


def _p(rule, path, fmt, *args):
    return Problem(rule, path or "(root)", fmt % args if args else fmt)


def fully_null(v):
    """Null, or an object whose attributes are all null (the framework's
    IsFullyNull: an identity nobody has set yet)."""
    if v is None:
        return True
    if isinstance(v, dict):
        return all(x is None for x in v.values())
    return False


# ---------------------------------------------------------------- identity

def check_identity(identity, identity_type, step, action=None):
    """One identity a provider returned at `step` ("read", "plan",
    "apply", "import"). A null identity is allowed (Terraform checks only
    non-null ones). At plan time an unknown identity is allowed only when
    `action` is "create" or "replace"."""
    out = []
    if identity is None:
        return out
    attrs = values.object_attrs(identity_type)
    if not isinstance(identity, dict) or set(identity) != set(attrs):
        got = sorted(identity) if isinstance(identity, dict) else identity
        return [_p("identity-conforms", "", "identity %r does not match the "
                   "identity schema's attributes %s", got, sorted(attrs))]
    known_needed = not (step == "plan" and action in ("create", "replace"))
    if known_needed and not values.wholly_known(identity):
        out.append(_p("identity-known", "", "%s returned an identity with "
                      "unknown values: %r", step, identity))
    return out


def check_identity_stable(step, before, after, prior_state_null=False,
                          after_import=False):
    """Identity must not change once stored.

    read:  before = current identity (request), after = new identity;
           not checked right after an import.
    plan:  before = prior identity, after = planned identity; only when
           the prior state is not null (an update or a delete).
    apply: before = planned identity, after = new identity (an update).
    Nothing is checked while `before` is fully null."""
    if after is None or fully_null(before):
        return []
    if step == "read" and after_import:
        return []
    if step == "plan" and prior_state_null:
        return []
    if before != after:
        return [_p("identity-stable", "", "%s changed the identity from %r "
                   "to %r", step, before, after)]
    return []


def check_import_identity(by_identity, imported_identity):
    """An import requested by identity must answer with an identity."""
    if by_identity and imported_identity is None:
        return [_p("import-identity", "", "import by identity returned no "
                   "identity")]
    return []


# ---------------------------------------------------------------- listing

def check_list_events(events, identity_type, resource_type=None,
                      include_resource_object=False, limit=None):
    """ListResource events, each a dict: {"identity": value or None (None
    also when absent), "display_name": str, "resource_object": value,
    or absent when not sent, "errors": [summary...], "warnings": [...]}.

    Returns the problems Terraform would report. An error diagnostic ends
    the listing (later events are never read, so not checked); events
    beyond `limit` are never read either."""
    out = []
    attrs = values.object_attrs(identity_type)
    for i, ev in enumerate(events):
        path = "event[%d]" % i
        if limit is not None and i >= limit:
            out.append(_p("list-identity", path, "more than limit=%d "
                          "events: Terraform cancels the stream here", limit))
            break
        if ev.get("errors"):
            break  # Terraform reports these diagnostics and stops
        ident = ev.get("identity")
        if ident is None:
            if ev.get("warnings"):
                continue  # skipped by Terraform
            out.append(_p("list-identity", path, "missing identity data in "
                          "ListResource event"))
            continue
        if not isinstance(ident, dict) or set(ident) != set(attrs):
            out.append(_p("list-identity", path, "identity %r does not "
                          "match the identity schema %s", ident,
                          sorted(attrs)))
        elif not values.wholly_known(ident):
            out.append(_p("list-identity", path, "identity holds unknown "
                          "values: %r", ident))
        if include_resource_object and "resource_object" in ev and \
                resource_type is not None:
            obj = ev["resource_object"]
            if obj is not None and (
                    not isinstance(obj, dict) or
                    set(obj) != set(values.object_attrs(resource_type))):
                out.append(_p("list-object", path, "resource_object does "
                              "not match the resource schema"))
    return out


def check_list_matches_read(events, reads, resource_type):
    """reads[i]: the state ReadResource returned after ImportResourceState
    by events[i]'s identity (None: import or read gave none). Every event
    with a resource_object must equal it."""
    out = []
    for i, ev in enumerate(events):
        if "resource_object" not in ev or ev.get("errors"):
            continue
        path = "event[%d]" % i
        got = reads[i] if i < len(reads) else None
        if got is None:
            out.append(_p("list-object-read", path, "import by identity "
                          "%r then read returned no object",
                          ev.get("identity")))
        elif not values.equal(ev["resource_object"], got, resource_type):
            diff = sorted(k for k in values.object_attrs(resource_type)
                          if not values.equal(
                              ev["resource_object"].get(k), got.get(k),
                              values.object_attrs(resource_type)[k]))
            out.append(_p("list-object-read", path, "resource_object "
                          "differs from the read state in %s", diff))
    return out


def check_list_unknown_type(events):
    """A type without a list resource: the stream must carry an error."""
    if any(ev.get("errors") for ev in events):
        return []
    return [_p("list-unknown-type", "", "no error diagnostic for a type "
               "without a list resource (%d events)", len(events))]


def check_list_stopped(events_before, events_after, total, status,
                       seconds_after_stop, bound=10.0):
    """StopProvider after `events_before` events of a list of `total`
    objects: the stream must end (any status) within `bound` seconds,
    before the end of the list."""
    out = []
    if seconds_after_stop > bound:
        out.append(_p("list-stop", "", "the stream went on %.1f s after "
                      "StopProvider", seconds_after_stop))
    if events_before + events_after >= total:
        out.append(_p("list-stop", "", "all %d objects were listed "
                      "despite StopProvider after %d (status %s)", total,
                      events_before, status))
    return out


# ---------------------------------------------------------- generated config

def check_generated_config(block, config, path=""):
    """GenerateResourceConfig's config: an object of the resource type,
    wholly known, with every computed-only and deprecated attribute null
    (at any depth: nested blocks and nested attributes too)."""
    out = []
    if config is None:
        return out
    if path == "" and not values.wholly_known(config):
        out.append(_p("genconfig-computed", "", "generated configuration "
                      "holds unknown values"))
    if not isinstance(config, dict):
        return out + [_p("genconfig-computed", path, "not an object")]
    for name, a in block.attrs.items():
        v = config.get(name)
        p = "%s.%s" % (path, name) if path else name
        if v is None:
            continue
        if a.computed_only:
            out.append(_p("genconfig-computed", p, "computed-only attribute "
                          "set in generated configuration: %r", v))
        elif a.deprecated:
            out.append(_p("genconfig-computed", p, "deprecated attribute "
                          "set in generated configuration"))
        elif a.nested is not None:
            inner = Block(a.nested)
            for ip, elem in _elements(a.nesting, v, p):
                out += check_generated_config(inner, elem, ip)
    for name, b in block.blocks.items():
        p = "%s.%s" % (path, name) if path else name
        for ip, elem in _elements(b.nesting, config.get(name), p):
            out += check_generated_config(b.block, elem, ip)
    return out


def _elements(nesting, v, path):
    """(path, element) of a nested block / attribute value."""
    if v is None or isinstance(v, values.Unknown):
        return []
    if nesting in ("SINGLE", "GROUP"):
        return [(path, v)]
    if nesting == "MAP":
        return [("%s[%r]" % (path, k), e) for k, e in v.items()]
    return [("%s[%d]" % (path, i), e) for i, e in enumerate(v)]


# ---------------------------------------------------------------- planning

def check_plan_valid(block, prior, config, planned, path=""):
    """PlanResourceChange's planned_state against the config and the prior
    state (both as Terraform sent them). The basics of AssertPlanValid:
    null iff config is null; per attribute, the planned value equals the
    config value (refinements ignored), or the prior value when prior and
    config are both non-null; computed-only attributes may be anything;
    optional+computed ones anything while config is null; write-only ones
    null; nested LIST/SET/MAP blocks never null, LIST/MAP with the
    config's count / keys, no element unknown."""
    out = []
    if planned is None and config is not None:
        return [_p("plan-valid", path, "planned for absence but config "
                   "wants existence")]
    if config is None and planned is not None:
        return [_p("plan-valid", path, "planned for existence but config "
                   "wants absence")]
    if planned is None:
        return out
    for name, a in block.attrs.items():
        p = "%s.%s" % (path, name) if path else name
        out += _check_attr(a, _get(prior, name), _get(config, name),
                           _get(planned, name), p)
    for name, b in block.blocks.items():
        p = "%s.%s" % (path, name) if path else name
        out += _check_block(b, _get(prior, name), _get(config, name),
                            _get(planned, name), p)
    return out


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else None


def _check_attr(a, prior, config, planned, path):
    t = a.implied_type()
    if values.equal(values.unrefined(planned), values.unrefined(config), t):
        return []
    if prior is not None and config is not None and \
            values.equal(values.unrefined(planned), values.unrefined(prior),
                         t):
        return []
    if a.write_only:
        if planned is not None:
            return [_p("plan-valid", path, "planned value for write-only "
                       "attribute is not null")]
        return []
    if a.computed_only:
        return []
    if config is None and a.computed:
        return []
    if config is None and planned is not None:
        return [_p("plan-valid", path, "planned value %r for a "
                   "non-computed attribute", planned)]
    if a.nested is not None and a.nesting == "SINGLE":
        return check_plan_valid(Block(a.nested), prior, config, planned,
                                path)
    if prior is None:
        return [_p("plan-valid", path, "planned value %r does not match "
                   "config value %r", planned, config)]
    return [_p("plan-valid", path, "planned value %r does not match config "
               "value %r nor prior value %r", planned, config, prior)]


def _check_block(b, prior, config, planned, path):
    t = b.implied_type()
    if values.equal(planned, config, t):
        return []
    if isinstance(config, values.Unknown):
        return [_p("plan-valid", path, "planned value %r for unknown "
                   "dynamic block", planned)]
    if isinstance(planned, values.Unknown):
        return [_p("plan-valid", path, "attribute representing nested block "
                   "must not be unknown itself")]
    if b.nesting in ("SINGLE", "GROUP"):
        return check_plan_valid(b.block, prior, config, planned, path)
    if planned is None:
        return [_p("plan-valid", path, "attribute representing a %s of "
                   "nested blocks must be empty to indicate no blocks, not "
                   "null", b.nesting.lower())]
    out = []
    if b.nesting == "LIST":
        config = config or []
        if len(planned) != len(config):
            return [_p("plan-valid", path, "block count in plan (%d) "
                       "disagrees with count in config (%d)", len(planned),
                       len(config))]
        for i, e in enumerate(planned):
            ep = "%s[%d]" % (path, i)
            if isinstance(e, values.Unknown):
                out.append(_p("plan-valid", ep, "element representing "
                              "nested block must not be unknown itself"))
                continue
            pe = prior[i] if isinstance(prior, list) and i < len(prior) \
                else None
            out += check_plan_valid(b.block, pe, config[i], e, ep)
    elif b.nesting == "MAP":
        config = config or {}
        for k in planned:
            if k not in config:
                out.append(_p("plan-valid", path, "block key %r from plan "
                              "is not present in config", k))
        for k in config:
            if k not in planned:
                out.append(_p("plan-valid", path, "block key %r from config "
                              "is not present in plan", k))
        for k, e in planned.items():
            if k not in config:
                continue
            ep = "%s[%r]" % (path, k)
            if isinstance(e, values.Unknown):
                out.append(_p("plan-valid", ep, "element representing "
                              "nested block must not be unknown itself"))
                continue
            out += check_plan_valid(b.block, _get(prior, k), config[k], e,
                                    ep)
    else:  # SET
        for i, e in enumerate(planned):
            if isinstance(e, values.Unknown):
                out.append(_p("plan-valid", "%s[%d]" % (path, i),
                              "element representing nested block must not "
                              "be unknown itself"))
    return out


def check_write_only_null(block, state, path=""):
    """Every write-only attribute null in a state the provider returned."""
    out = []
    if not isinstance(state, dict):
        return out
    for name, a in block.attrs.items():
        p = "%s.%s" % (path, name) if path else name
        v = state.get(name)
        if a.write_only and v is not None:
            out.append(_p("write-only-null", p, "non-null value for a "
                          "write-only attribute"))
        elif a.nested is not None:
            for ip, e in _elements(a.nesting, v, p):
                out += check_write_only_null(Block(a.nested), e, ip)
    for name, b in block.blocks.items():
        p = "%s.%s" % (path, name) if path else name
        for ip, e in _elements(b.nesting, state.get(name), p):
            out += check_write_only_null(b.block, e, ip)
    return out
