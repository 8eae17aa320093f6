/* provider/rpc handlers of provider functions (Terraform 1.8+): their
 * definitions for GetProviderSchema / GetFunctions / GetMetadata, and
 * CallFunction, which decodes each argument with its parameter's type,
 * calls the function (provider/resource.h: tfp_function) and returns the
 * result or a FunctionError naming the argument at fault. Depends on the
 * helpers (rpc_app.h, rpc_values.h) only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/codec.h"
#include "../../schema/tf_err.h"
#include "../log.h"
#include "rpc_app.h"
#include "rpc_call.h"
#include "rpc_function.h"
#include "rpc_handlers.h"

static const tfp_function *find(const rpc_app *app, const char *name)
{
	const tfp_provider *p = app->provider;

	for (size_t i = 0; name && i < p->nfunctions; i++)
		if (strcmp(p->functions[i]->name, name) == 0)
			return p->functions[i];
	return NULL;
}

static Tfplugin6__Function *put_function(rpc_arena *ar, const tfp_function *f)
{
	Tfplugin6__Function *fn = rpc_alloc(ar, sizeof(*fn));
	Tfplugin6__Function__Return *ret = rpc_alloc(ar, sizeof(*ret));

	tfplugin6__function__init(fn);
	tfplugin6__function__return__init(ret);
	ret->type.data = (uint8_t *)f->return_type;
	ret->type.len = strlen(f->return_type);
	fn->return_ = ret;
	fn->summary = (char *)f->summary;
	fn->description = (char *)f->description;
	fn->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	fn->n_parameters = f->nparams;
	fn->parameters = rpc_alloc(ar,
				   (f->nparams + 1) * sizeof(*fn->parameters));
	for (size_t i = 0; i < f->nparams; i++) {
		const tfp_func_param *pd = &f->params[i];
		Tfplugin6__Function__Parameter *p = rpc_alloc(ar, sizeof(*p));

		tfplugin6__function__parameter__init(p);
		p->name = (char *)pd->name;
		p->type.data = (uint8_t *)pd->type;
		p->type.len = strlen(pd->type);
		p->allow_null_value = pd->allow_null;
		p->description = (char *)pd->description;
		p->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
		fn->parameters[i] = p;
	}
	return fn;
}

void rpc_put_functions(
	rpc_arena *ar, const rpc_app *app, size_t *n,
	Tfplugin6__GetProviderSchema__Response__FunctionsEntry ***out)
{
	const tfp_provider *p = app->provider;

	*n = p->nfunctions;
	*out = rpc_alloc(ar, (p->nfunctions + 1) * sizeof(**out));
	for (size_t i = 0; i < p->nfunctions; i++) {
		Tfplugin6__GetProviderSchema__Response__FunctionsEntry *e =
			rpc_alloc(ar, sizeof(*e));
		tfplugin6__get_provider_schema__response__functions_entry__init(
			e);
		e->key = (char *)p->functions[i]->name;
		e->value = put_function(ar, p->functions[i]);
		(*out)[i] = e;
	}
}

int rpc_get_functions(rpc_call *c, const void *req, void *resp)
{
	Tfplugin6__GetFunctions__Response *rs = resp;
	const tfp_provider *p = c->app->provider;

	(void)req;
	rs->n_functions = p->nfunctions;
	rs->functions = rpc_alloc(&c->arena,
				  (p->nfunctions + 1) * sizeof(*rs->functions));
	for (size_t i = 0; i < p->nfunctions; i++) {
		Tfplugin6__GetFunctions__Response__FunctionsEntry *e =
			rpc_alloc(&c->arena, sizeof(*e));
		tfplugin6__get_functions__response__functions_entry__init(e);
		e->key = (char *)p->functions[i]->name;
		e->value = put_function(&c->arena, p->functions[i]);
		rs->functions[i] = e;
	}
	return SRV_STATUS_OK;
}

static Tfplugin6__FunctionError *func_error(rpc_arena *ar, const char *text,
					    int64_t arg)
{
	Tfplugin6__FunctionError *e = rpc_alloc(ar, sizeof(*e));

	tfplugin6__function_error__init(e);
	e->text = rpc_strdup(ar, text);
	if (arg >= 0) {
		e->_function_argument_case =
			TFPLUGIN6__FUNCTION_ERROR___FUNCTION_ARGUMENT_FUNCTION_ARGUMENT;
		e->function_argument = arg;
	}
	return e;
}

/* Decode the arguments (new references in args[]); on failure the error
 * text and argument index. */
static int decode_args(const tfp_function *f,
		       const Tfplugin6__CallFunction__Request *rq,
		       tf_value **args, char *errbuf, size_t errlen,
		       int64_t *arg)
{
	if (rq->n_arguments != f->nparams) {
		snprintf(errbuf, errlen, "%s takes %zu argument(s), got %zu",
			 f->name, f->nparams, rq->n_arguments);
		return -1;
	}
	for (size_t i = 0; i < f->nparams; i++) {
		tf_type *t = NULL;
		tf_diags d = TF_DIAGS_INIT;

		if (tf_type_from_json(f->params[i].type,
				      strlen(f->params[i].type), &t)) {
			snprintf(errbuf, errlen,
				 "internal error: bad type of %s",
				 f->params[i].name);
			return -1;
		}
		args[i] = rpc_decode_dv(rq->arguments[i], t, f->params[i].name,
					&d);
		tf_type_unref(t);
		tf_diags_done(&d);
		if (!args[i] || !tf_value_is_wholly_known(args[i]) ||
		    (!f->params[i].allow_null && tf_value_is_null(args[i]))) {
			snprintf(errbuf, errlen, "%s: %s", f->params[i].name,
				 !args[i] ? "cannot be decoded" :
				 tf_value_is_null(args[i]) ?
					    "must not be null" :
					    "must be known");
			*arg = (int64_t)i;
			return -1;
		}
	}
	return 0;
}

int rpc_call_function(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__CallFunction__Request *rq = req;
	Tfplugin6__CallFunction__Response *rs = resp;
	const tfp_function *f = find(c->app, rq->name);
	tf_value *args[8] = { 0 }, *result = NULL;
	char errbuf[512] = "";
	int64_t arg = -1;
	tf_type *rt = NULL;
	tf_diags d = TF_DIAGS_INIT;

	if (!f) {
		rs->error = func_error(&c->arena, "unknown function", -1);
		return SRV_STATUS_OK;
	}
	if (f->nparams > sizeof(args) / sizeof(args[0]) ||
	    decode_args(f, rq, args, errbuf, sizeof(errbuf), &arg) ||
	    f->call((const tf_value *const *)args, &result, errbuf,
		    sizeof(errbuf), &arg)) {
		rs->error = func_error(&c->arena, errbuf[0] ? errbuf : "failed",
				       arg);
		goto out;
	}
	if (tf_type_from_json(f->return_type, strlen(f->return_type), &rt) ==
	    TF_OK)
		rs->result = rpc_encode_dv(&c->arena, result, rt, &d);
	if (!rs->result || tf_diags_has_error(&d))
		rs->error =
			func_error(&c->arena,
				   "internal error: cannot encode the result",
				   -1);
out:
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		tf_value_unref(args[i]);
	tf_value_unref(result);
	tf_type_unref(rt);
	tf_diags_done(&d);
	return SRV_STATUS_OK;
}
