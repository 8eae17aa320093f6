"""A resource's life as Terraform 1.12+ drives it, with identity, over a
real provider: create, read, update, import (by identity and by ID),
identity upgrade, generated configuration, destroy. Every answer goes
through tfc.checker, whose SOURCES name the Terraform code each rule
mirrors. Terraform 1.11 (the only CLI here) sends no identity at all,
which is why this runs at the protocol level.

run(p, type_name, provider_config, config, update, import_id) returns a
JSON-able dict: "steps" (one entry per call: what was sent, the status,
diagnostics, identity), "problems" (checker findings, each with its rule
and the Terraform source it mirrors) and facts the e2e asserts on.

How Terraform builds the requests this sends:
 - PlanResourceChange.proposed_new_state: objchange.ProposedNew
   (internal/plans/objchange/objchange.go): configuration values, with a
   computed attribute the configuration leaves null taken from the prior
   state, or unknown on create;
 - prior/planned/current identity: the identity stored with the object
   (internal/terraform/node_resource_abstract_instance.go plan, apply,
   refresh), the planned one from PlanResourceChange on apply;
 - import by identity: ImportResourceState.identity instead of id
   (internal/terraform/node_resource_plan_instance.go importState).
"""
import decimal
import json

from google.protobuf import json_format

from . import checker, schema, values
from .plugin import CallError


def _js(v):
    """A value as plain JSON data: unknowns as "<unknown>"."""
    if isinstance(v, values.Unknown):
        return "<unknown>"
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, list):
        return [_js(e) for e in v]
    if isinstance(v, dict):
        return {k: _js(e) for k, e in v.items()}
    return v


class Life:
    def __init__(self, p, type_name):
        self.p = p
        self.type_name = type_name
        sch = p.call("GetProviderSchema")
        self.caps = json_format.MessageToDict(sch.server_capabilities,
                                              preserving_proto_field_name=True)
        self.block = schema.block_from_proto(
            sch.resource_schemas[type_name].block)
        self.rtype = self.block.implied_type()
        self.ptype = schema.block_from_proto(sch.provider.block) \
            .implied_type()
        ids = p.call("GetResourceIdentitySchemas").identity_schemas
        self.id_schema = ids.get(type_name)
        self.itype = schema.identity_type(self.id_schema) \
            if self.id_schema is not None else None
        self.steps = []
        self.problems = []

    # ------------------------------------------------------------ helpers

    def full(self, partial, t=None):
        """An object of type t (resource type) from a partial dict."""
        t = t or self.rtype
        return {k: partial.get(k) for k in values.object_attrs(t)}

    def enc(self, v, t=None):
        return values.encode(v, t or self.rtype)

    def dec(self, dv, t=None):
        if dv is None or not dv.msgpack:
            return None
        return values.decode(dv.msgpack, t or self.rtype)

    def id_of(self, msg, field):
        if not msg.HasField(field):
            return None
        data = getattr(msg, field)
        if not data.HasField("identity_data"):
            return None
        return self.dec(data.identity_data, self.itype)

    def set_id(self, req, field, ident):
        if ident is not None:
            getattr(req, field).identity_data.msgpack = \
                self.enc(ident, self.itype)

    def record(self, name, reply, identity=None, extra=None, status="OK"):
        diags = list(reply.diagnostics) if reply is not None and \
            hasattr(reply, "diagnostics") else []
        step = {"step": name, "status": status,
                "errors": [d.summary + ": " + d.detail for d in diags
                           if d.severity == 1],
                "warnings": [d.summary for d in diags if d.severity == 2],
                "identity": _js(identity)}
        step.update(extra or {})
        self.steps.append(step)
        return step

    def check(self, problems, step):
        for pr in problems:
            d = pr._asdict()
            d["step"] = step
            d["source"] = checker.SOURCES.get(pr.rule, "")
            self.problems.append(d)

    def call(self, name, method, req):
        try:
            return self.p.call(method, request=req, timeout=300)
        except CallError as e:
            self.record(name, None, status=e.code.name,
                        extra={"details": e.details})
            return None

    # ------------------------------------------------------------ RPCs

    def configure(self, cfg):
        req = self.p.request("ConfigureProvider", terraform_version="1.14.0")
        req.config.msgpack = self.enc(self.full(cfg, self.ptype), self.ptype)
        r = self.call("configure", "ConfigureProvider", req)
        if r is not None:
            self.record("configure", r)
        return r is not None and not any(
            d.severity == 1 for d in r.diagnostics)

    def proposed(self, prior, config):
        """objchange.ProposedNew for a flat block (attributes only)."""
        out = {}
        for name, a in self.block.attrs.items():
            c = config.get(name)
            if a.computed and c is None:
                out[name] = values.Unknown() if prior is None \
                    else prior.get(name)
            else:
                out[name] = c
        return out

    def plan(self, name, prior, prior_id, config):
        cfg = self.full(config) if config is not None else None
        req = self.p.request("PlanResourceChange", type_name=self.type_name)
        req.prior_state.msgpack = self.enc(prior)
        req.proposed_new_state.msgpack = self.enc(
            None if cfg is None else self.proposed(prior, cfg))
        req.config.msgpack = self.enc(cfg)
        self.set_id(req, "prior_identity", prior_id)
        r = self.call(name, "PlanResourceChange", req)
        if r is None:
            return None, None, None
        planned = self.dec(r.planned_state)
        ident = self.id_of(r, "planned_identity")
        replace = len(r.requires_replace) > 0
        action = "create" if prior is None else "delete" if cfg is None \
            else "replace" if replace else "update"
        self.record(name, r, ident, {"action": action})
        self.check(checker.check_identity(ident, self.itype, "plan", action),
                   name)
        if action in ("update", "delete"):
            self.check(checker.check_identity_stable(
                "plan", prior_id, ident, prior_state_null=prior is None),
                name)
        if cfg is not None and planned is not None:
            self.check(checker.check_plan_valid(self.block, prior, cfg,
                                                planned), name)
        return planned, ident, r.planned_private

    def apply(self, name, prior, planned, planned_id, config, private):
        cfg = self.full(config) if config is not None else None
        req = self.p.request("ApplyResourceChange", type_name=self.type_name,
                             planned_private=private or b"")
        req.prior_state.msgpack = self.enc(prior)
        req.planned_state.msgpack = self.enc(planned)
        req.config.msgpack = self.enc(cfg)
        self.set_id(req, "planned_identity", planned_id)
        r = self.call(name, "ApplyResourceChange", req)
        if r is None:
            return None, None
        state = self.dec(r.new_state)
        ident = self.id_of(r, "new_identity")
        self.record(name, r, ident)
        self.check(checker.check_identity(ident, self.itype, "apply"), name)
        if planned_id is not None and values.wholly_known(planned_id):
            self.check(checker.check_identity_stable("apply", planned_id,
                                                     ident), name)
        return state, ident

    def read(self, name, state, ident, after_import=False):
        req = self.p.request("ReadResource", type_name=self.type_name)
        req.current_state.msgpack = self.enc(state)
        self.set_id(req, "current_identity", ident)
        r = self.call(name, "ReadResource", req)
        if r is None:
            return None, None
        new = self.dec(r.new_state)
        nid = self.id_of(r, "new_identity")
        self.record(name, r, nid, {"gone": new is None})
        self.check(checker.check_identity(nid, self.itype, "read"), name)
        self.check(checker.check_identity_stable(
            "read", ident, nid, after_import=after_import), name)
        return new, nid

    def import_(self, name, import_id=None, identity=None):
        req = self.p.request("ImportResourceState", type_name=self.type_name,
                             id=import_id or "")
        self.set_id(req, "identity", identity)
        r = self.call(name, "ImportResourceState", req)
        if r is None:
            return None, None
        got = list(r.imported_resources)
        state = self.dec(got[0].state) if got else None
        ident = self.id_of(got[0], "identity") if got else None
        self.record(name, r, ident, {"imported": len(got)})
        if got:
            self.check(checker.check_import_identity(identity is not None,
                                                     ident), name)
            self.check(checker.check_identity(ident, self.itype, "import"),
                       name)
        return state, ident

    def upgrade_identity(self, name, version, raw_json):
        req = self.p.request("UpgradeResourceIdentity",
                             type_name=self.type_name, version=version)
        req.raw_identity.json = raw_json.encode()
        r = self.call(name, "UpgradeResourceIdentity", req)
        if r is None:
            return None
        ident = self.id_of(r, "upgraded_identity")
        self.record(name, r, ident)
        self.check(checker.check_identity(ident, self.itype, "upgrade"),
                   name)
        return ident

    def generate(self, name, state):
        req = self.p.request("GenerateResourceConfig",
                             type_name=self.type_name)
        req.state.msgpack = self.enc(state)
        r = self.call(name, "GenerateResourceConfig", req)
        if r is None:
            return None
        cfg = self.dec(r.config) if r.HasField("config") else None
        self.record(name, r, None, {"config": _js(cfg)})
        self.check(checker.check_generated_config(self.block, cfg), name)
        return cfg


def run(p, type_name, provider_config, config, update, import_id):
    life = Life(p, type_name)
    out = {"type": type_name, "server_capabilities": life.caps,
           "has_identity_schema": life.id_schema is not None}
    if life.id_schema is not None:
        out["identity_schema"] = {
            "version": life.id_schema.version,
            "attributes": {a.name: {"required_for_import":
                                    a.required_for_import,
                                    "optional_for_import":
                                    a.optional_for_import}
                           for a in life.id_schema.identity_attributes}}
    if life.itype is None or not life.configure(provider_config):
        out.update(steps=life.steps, problems=life.problems)
        return out
    _lifecycle(life, config, update, import_id, out)
    out.update(steps=life.steps, problems=life.problems)
    return out


def _lifecycle(life, config, update, import_id, out):
    planned, pid, priv = life.plan("plan-create", None, None, config)
    if planned is None:
        return
    state, ident = life.apply("apply-create", None, planned, pid, config,
                              priv)
    if state is None:
        return
    out["identity"] = _js(ident)
    state, ident2 = life.read("read", state, ident)
    out["read_identity"] = _js(ident2)
    life.plan("plan-noop", state, ident, config)
    upd = dict(config, **update)
    planned, pid, priv = life.plan("plan-update", state, ident, upd)
    if planned is not None:
        new, nid = life.apply("apply-update", state, planned, pid, upd, priv)
        if new is not None:
            state, ident = new, nid
    out["update_identity"] = _js(ident)
    _imports(life, ident, import_id, out)
    _upgrade(life, ident, out)
    _generate(life, state, out)
    planned, pid, priv = life.plan("plan-destroy", state, ident, None)
    life.apply("apply-destroy", state, planned, pid, None, priv)
    gone, gid = life.read("read-after-destroy", state, ident)
    out["gone_after_destroy"] = gone is None and gid is None


def _imports(life, ident, import_id, out):
    # By identity, and again with the optional attributes left out (null).
    req_attrs = {a.name for a in life.id_schema.identity_attributes
                 if a.required_for_import}
    minimal = {k: (v if k in req_attrs else None) for k, v in ident.items()}
    for name, asked in (("import-by-identity", ident),
                        ("import-by-identity-minimal", minimal)):
        st, iid = life.import_(name, identity=asked)
        out[name] = _js(iid)
        if st is not None:
            rst, rid = life.read(name + "-read", st, iid,
                                 after_import=False)
            out[name + "-read"] = _js(rid)
            out[name + "-state"] = _js(rst)
    _, iid = life.import_("import-by-id", import_id=import_id)
    out["import-by-id"] = _js(iid)
    bad = dict(ident)
    first_req = sorted(req_attrs)[0]
    bad[first_req] = "a/b"
    life.import_("import-bad-slash", identity=bad)
    none = dict(ident)
    none[first_req] = None
    life.import_("import-missing-required", identity=none)


def _upgrade(life, ident, out):
    raw = json.dumps(ident)
    out["upgrade-v0"] = _js(
        life.upgrade_identity("upgrade-identity-v0", 0, raw))
    life.upgrade_identity("upgrade-identity-newer", 99, raw)


def _generate(life, state, out):
    out["generated"] = _js(life.generate("generate-config",
                                                    state))
    out["generated_null"] = _js(
        life.generate("generate-config-null-state", None))
