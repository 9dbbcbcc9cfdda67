/* lineage.c - lineage events from commands that do not otherwise hold the log open
 * (training, key rotation): open, append, close. */
#include "steward/audit.h"

int sw_audit_lineage_home(const char *home, const char *event, const char *principal,
                          const sw_audit_artifact *inputs, size_t nin,
                          const sw_audit_artifact *outputs, size_t nout, const char *details_json,
                          uint64_t *index, sw_err *err) {
    sw_audit_opts o = {0};
    sw_audit *log;
    if (sw_audit_open(home, &o, &log, err) < 0) return sw_err_prefix(err, "audit log");
    int rc = sw_audit_lineage(log, event, principal, inputs, nin, outputs, nout, details_json, index, err);
    sw_err close_err;
    if (sw_audit_close(log, &close_err) < 0 && rc == 0) {
        if (err) *err = close_err;
        rc = -1;
    }
    return rc;
}
