/* check_file: files (docs/files.md) meet fields. A base64 field takes a
 * file; E0126 where a file goes into any other field, E0127 where a value
 * that cannot be a file (a number, date, list ...) goes into a base64
 * field, W0219 where text does: it is sent as it is and checked as a file
 * only at run time. */
#include "check_int.h"

bool ck_file_mismatch(Checker *ck, const Expr *e, const Field *f, bool into_file)
{
    CheckType t = e->info->type;
    const char *ename = ck->target->schema->name, *type = schema_type_name(f->type);
    const char *text = ck_text(ck, e);
    if (!into_file) {
        Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0126", e->span, "%s.%s is %s %s field; this value is a file",
                              ename, f->name, ck_a(type), type);
        diag_help(d, "a file goes into a base64 field, such as the content of the CRM's attachment entity "
                     "(docs/files.md); to send its text (a URL) as it is, write string(%s)", text ? text : "...");
        return true;
    }
    if (t == CT_ANY || t == CT_NULL || t == CT_CLEAR)
        return false;
    if (t == CT_STRING) {
        Diag *d = diag_report(ck->sink, DIAG_WARNING, "W0219", e->span,
                              "%s.%s takes a file; this text is sent as it is and checked as one only at run time",
                              ename, f->name);
        diag_help(d, "say it is a file, a URL, data: URI or base64: file(%s)", text ? text : "...");
        return true;
    }
    Diag *d = diag_report(ck->sink, DIAG_ERROR, "E0127", e->span, "%s.%s takes a file; this value is %s %s",
                          ename, f->name, ck_a(check_type_name(t)), check_type_name(t));
    diag_help(d, "a file is made from text, a URL, data: URI or base64: file(TEXT)");
    return true;
}
