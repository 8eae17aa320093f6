/* Logging to stderr in the JSON line format Terraform re-logs (hclog):
 * {"@level":"debug","@message":"...","@timestamp":"2006-01-02T15:04:05.000000Z", ...}
 *
 * stdout is reserved for the handshake line. Thread-safe: each line is
 * written with a single write(2). Lower layers (REST clients) log at debug
 * only; resource handlers and the RPC layer decide what the user sees via
 * diagnostics. NEVER pass secrets (keys, tokens, kubeconfigs) to these. */
#ifndef TFP_LOG_H
#define TFP_LOG_H

typedef enum tfp_log_level {
	TFP_LOG_TRACE = 0,
	TFP_LOG_DEBUG,
	TFP_LOG_INFO,
	TFP_LOG_WARN,
	TFP_LOG_ERROR,
} tfp_log_level;

/* Minimum level emitted; default DEBUG (Terraform filters again by
 * TF_LOG_PROVIDER). Set from TFP_LOG_LEVEL if present. */
void tfp_log_init(void);
void tfp_log_set_level(tfp_log_level lvl);

/* Log a message; extra key/value string pairs may follow as
 * "key", "value", ..., NULL via tfp_logkv. */
void tfp_log(tfp_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tfp_logkv(tfp_log_level lvl, const char *msg,
	       ...); /* NULL-terminated k/v */

#define tfp_trace(...) tfp_log(TFP_LOG_TRACE, __VA_ARGS__)
#define tfp_debug(...) tfp_log(TFP_LOG_DEBUG, __VA_ARGS__)
#define tfp_info(...) tfp_log(TFP_LOG_INFO, __VA_ARGS__)
#define tfp_warn(...) tfp_log(TFP_LOG_WARN, __VA_ARGS__)
#define tfp_error(...) tfp_log(TFP_LOG_ERROR, __VA_ARGS__)

#endif
