/* Plain SIE voucher blocks read whole, in C: the accelerator of the
 * line-by-line reader (normalize.py), switched in by scan.py; _scan.pyi has
 * the signatures and ScanContext (scan.py) what it works with.
 *
 *   read_blocks(ctx, data, pos, line, parts) -> (vouchers, pos, line, rows)
 *
 * Reads consecutive plain blocks from ``data[pos:]`` (pos a line start):
 *
 *     #VER series number YYYYMMDD ["text" [YYYYMMDD|"" ["sign"]]]
 *     {
 *        #TRANS account {dim "id" ...} amount [YYYYMMDD|"" ["text" [qty|"" ["sign"]]]]
 *        ...
 *     }
 *
 * and stops before the first thing that is not such a block, after a block
 * whose reading left an issue (so the caller yields it before that voucher),
 * or at the end.  Nothing here decides anything the Python code decides:
 * dates, object lists and texts it cannot decide for certain go to the
 * reader's FieldReader and FieldDecoder, and the records, issues, decoder
 * decisions and #KSUMMA input equal what the line-by-line path gives
 * (tests/test_sie_fastpaths.py compares them).  A block is parsed whole
 * before anything is done with it, so a refused block leaves no trace.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *s;
    Py_ssize_t n;
    int present;
    int esc; /* holds \" (a quote written inside quotes) */
} Span;

typedef struct {
    Span account, objects, amount, day, text, qty, sign;
} Row;

typedef struct {
    Span series, number, date, text, reg, sign;
} Head;

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
/* Python's bytes \s: space, \t, \n, \r, \f, \v */
#define IS_SPACE(c) ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
/* What SIE forbids in a field (ASCII 0-31 but tab, and 127): such a block is
 * left to the line-by-line reader, which reports it (lexer.CONTROL). */
#define IS_CONTROL(c) (((unsigned char)(c) < 0x20 && (c) != '\t') || (c) == 0x7f)
/* A longer field is left to Python, which applies the configured bound (fields.max_field). */
#define MAX_SPAN 4096

static const char *skip_blanks(const char *p, const char *end) {
    while (p < end && IS_BLANK(*p)) p++;
    return p;
}

/* [ \t\r]* then LF: the end of a line; returns the position after the LF or NULL. */
static const char *line_end(const char *p, const char *end) {
    while (p < end && (IS_BLANK(*p) || *p == '\r')) p++;
    return (p < end && *p == '\n') ? p + 1 : NULL;
}

/* A quoted text on one line; fills sp (the inside).  As the lexer reads it,
 * \" is a quote inside the text and any other backslash is itself. */
static const char *quoted(const char *p, const char *end, Span *sp) {
    if (p >= end || *p != '"') return NULL;
    const char *q = ++p;
    int esc = 0;
    while (q < end && *q != '"') {
        if (IS_CONTROL(*q)) return NULL;
        if (*q == '\\' && q + 1 < end && q[1] == '"') {
            esc = 1;
            q++;
        }
        q++;
    }
    if (q >= end || q - p > MAX_SPAN) return NULL;
    sp->s = p; sp->n = q - p; sp->present = 1; sp->esc = esc;
    return q + 1;
}

/* A #VER field: quoted, or unquoted [^"\s{}]+. */
static const char *field(const char *p, const char *end, Span *sp) {
    if (p < end && *p == '"') return quoted(p, end, sp);
    const char *q = p;
    while (q < end && *q != '"' && !IS_SPACE(*q) && !IS_CONTROL(*q) && *q != '{' && *q != '}') q++;
    if (q == p || q - p > MAX_SPAN || (q < end && IS_CONTROL(*q) && *q != '\r' && *q != '\n')) return NULL;
    sp->s = p; sp->n = q - p; sp->present = 1;
    return q;
}

/* After a field: 1 if the next thing is a separator or the line's end. */
static int field_ends(const char *p, const char *end) {
    return p < end && (IS_BLANK(*p) || *p == '\r' || *p == '\n');
}

/* Exactly eight digits, then a separator or the line's end. */
static const char *date8(const char *p, const char *end, Span *sp) {
    if (end - p < 8) return NULL;
    for (int i = 0; i < 8; i++)
        if (!IS_DIGIT(p[i])) return NULL;
    if (!field_ends(p + 8, end)) return NULL;
    sp->s = p; sp->n = 8; sp->present = 1;
    return p + 8;
}

/* "" then a separator or the line's end: an empty field. */
static const char *empty_field(const char *p, const char *end, Span *sp) {
    if (end - p < 2 || p[0] != '"' || p[1] != '"' || !field_ends(p + 2, end)) return NULL;
    sp->s = p; sp->n = 0; sp->present = 0;
    return p + 2;
}

/* A separator before an optional field: [ \t]+ not followed by the line's end.
 * Returns the field's start, or NULL when the line ends here (*eol set). */
static const char *next_field(const char *p, const char *end, const char **eol) {
    const char *q = skip_blanks(p, end);
    if (q < end && (*q == '\r' || *q == '\n')) {
        *eol = line_end(q, end);
        return NULL;
    }
    *eol = NULL;
    return q > p ? q : NULL;
}

/* The #VER line at p; returns the next line's start or NULL. */
static const char *parse_head(const char *p, const char *end, Head *h) {
    const char *eol;
    memset(h, 0, sizeof *h);
    if (end - p < 5 || memcmp(p, "#VER", 4) != 0 || !IS_BLANK(p[4])) return NULL;
    p = skip_blanks(p + 4, end);
    if (!(p = field(p, end, &h->series)) || p >= end || !IS_BLANK(*p)) return NULL;
    p = skip_blanks(p, end);
    if (!(p = field(p, end, &h->number)) || p >= end || !IS_BLANK(*p)) return NULL;
    p = skip_blanks(p, end);
    if (!(p = date8(p, end, &h->date))) return NULL;
    const char *f = next_field(p, end, &eol);
    if (!f) return eol;
    if (!(p = quoted(f, end, &h->text)) || !field_ends(p, end)) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = date8(f, end, &h->reg)) && !(p = empty_field(f, end, &h->reg))) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = quoted(f, end, &h->sign))) return NULL;
    return line_end(p, end);
}

/* The inside of a simple object list, from after '{' through '}'. */
static const char *parse_objects(const char *p, const char *end, Span *sp) {
    sp->s = p; sp->n = 0; sp->present = 1;
    for (;;) {
        const char *q = skip_blanks(p, end);
        if (q < end && *q == '}') return q + 1;
        const char *d = q;
        while (q < end && IS_DIGIT(*q)) q++;
        if (q == d || q - d > 9 || q >= end || !IS_BLANK(*q)) return NULL;
        q = skip_blanks(q, end);
        if (q >= end || *q != '"') return NULL;
        q++;
        while (q < end && *q != '"' && *q != '\\' && !IS_SPACE(*q) && !IS_CONTROL(*q) && *q != '{' && *q != '}') q++;
        if (q >= end || *q != '"') return NULL;
        p = q + 1;
        sp->n = p - sp->s;
    }
}

/* -?[0-9]+(\.[0-9]+)? with at most ``decimals`` decimals (-1: any) and, for
 * an amount (decimals 2), at most 13 digits before them (fields.AMOUNT_DIGITS:
 * Python judges longer ones), then a separator or the end. */
static const char *number(const char *p, const char *end, int decimals, Span *sp) {
    const char *q = p;
    if (q < end && *q == '-') q++;
    const char *d = q;
    while (q < end && IS_DIGIT(*q)) q++;
    if (q == d || (decimals == 2 && q - d > 13)) return NULL;
    if (q < end && *q == '.') {
        const char *f = ++q;
        while (q < end && IS_DIGIT(*q)) q++;
        if (q == f || (decimals >= 0 && q - f > decimals)) return NULL;
    }
    if (!field_ends(q, end)) return NULL;
    sp->s = p; sp->n = q - p; sp->present = 1;
    return q;
}

/* One #TRANS line at p (blanks before it allowed); returns the next line's start or NULL. */
static const char *parse_row(const char *p, const char *end, Row *r) {
    const char *eol, *f, *q;
    memset(r, 0, sizeof *r);
    p = skip_blanks(p, end);
    if (end - p < 7 || memcmp(p, "#TRANS", 6) != 0 || !IS_BLANK(p[6])) return NULL;
    p = skip_blanks(p + 6, end);
    q = p;
    while (q < end && IS_DIGIT(*q)) q++;
    if (q == p || q >= end || !IS_BLANK(*q)) return NULL;
    r->account.s = p; r->account.n = q - p; r->account.present = 1;
    p = skip_blanks(q, end);
    if (p >= end || *p != '{') return NULL;
    if (!(p = parse_objects(p + 1, end, &r->objects)) || p >= end || !IS_BLANK(*p)) return NULL;
    p = skip_blanks(p, end);
    if (!(p = number(p, end, 2, &r->amount))) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = date8(f, end, &r->day)) && !(p = empty_field(f, end, &r->day))) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = quoted(f, end, &r->text)) || !field_ends(p, end)) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = number(f, end, -1, &r->qty)) && !(p = empty_field(f, end, &r->qty))) return NULL;
    if (!(f = next_field(p, end, &eol))) return eol;
    if (!(p = quoted(f, end, &r->sign))) return NULL;
    return line_end(p, end);
}

/* ---- building records ---------------------------------------------------------- */

static PyObject *Decimal, *ZERO, *VoucherType, *RowType, *POSTED, *CP437_NAME; /* set at import */
static Py_UCS4 cp437[256]; /* from Python's own cp437 codec */

/* The span's bytes with each \" written as a quote: into out (room for sp.n), returns the length. */
static Py_ssize_t unescape(Span sp, char *out) {
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < sp.n; i++) {
        if (sp.s[i] == '\\' && i + 1 < sp.n && sp.s[i + 1] == '"') i++;
        out[k++] = sp.s[i];
    }
    return k;
}

static PyObject *span_bytes(Span sp) {
    if (!sp.esc) return PyBytes_FromStringAndSize(sp.s, sp.n);
    PyObject *b = PyBytes_FromStringAndSize(NULL, sp.n);
    if (!b) return NULL;
    Py_ssize_t k = unescape(sp, PyBytes_AS_STRING(b));
    if (_PyBytes_Resize(&b, k) < 0) return NULL;
    return b;
}

static int is_ascii(Span sp) {
    for (Py_ssize_t i = 0; i < sp.n; i++)
        if ((unsigned char)sp.s[i] >= 0x80) return 0;
    return 1;
}

typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} Buf;

static int buf_add(Buf *b, const char *s, Py_ssize_t n) {
    if (b->len + n > b->cap) {
        Py_ssize_t cap = (b->cap ? b->cap * 2 : 4096);
        while (cap < b->len + n) cap *= 2;
        char *nb = PyMem_Realloc(b->buf, cap);
        if (!nb) {
            PyErr_NoMemory();
            return -1;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    return 0;
}

static int buf_span(Buf *b, Span sp) {
    if (!sp.present) return 0;
    if (!sp.esc) return buf_add(b, sp.s, sp.n);
    Py_ssize_t at = b->len;
    if (buf_add(b, sp.s, sp.n) < 0) return -1; /* room for it, then written over */
    b->len = at + unescape(sp, b->buf + at);
    return 0;
}

static PyObject *new_record(PyObject *type, Py_ssize_t n) {
    PyTypeObject *tp = (PyTypeObject *)type;
    return tp->tp_alloc(tp, n);
}

/* ---- a lookup cache in front of the reader's dicts -------------------------
 * The account and object-list caches are dicts keyed by bytes: each lookup
 * made a bytes object and hashed it.  This remembers the last value found for
 * a short key, keyed by the raw span, so a repeated key costs a memcmp.  It
 * only repeats what the dict says (a miss goes to the dict and its callback
 * as before).  The slots belong to the reader (ReaderState, below), as do its
 * dicts, which it keeps for its whole life and never empties; a slot also
 * notes which dict it answers for. */
#define SPAN_CACHE_SLOTS 1024
#define SPAN_KEY_MAX 48

typedef struct {
    PyObject *dict;  /* borrowed: compared, never used */
    PyObject *value; /* strong */
    Py_ssize_t n;
    char key[SPAN_KEY_MAX];
} SpanSlot;

static SpanSlot *span_slot(SpanSlot *slots, const char *s, Py_ssize_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return &slots[h & (SPAN_CACHE_SLOTS - 1)];
}

/* A borrowed value, or NULL (not cached). */
static PyObject *span_cached(SpanSlot *slot, PyObject *dict, Span sp) {
    if (slot->dict == dict && slot->n == sp.n && memcmp(slot->key, sp.s, sp.n) == 0) return slot->value;
    return NULL;
}

static void span_remember(SpanSlot *slot, PyObject *dict, Span sp, PyObject *value) {
    if (sp.n > SPAN_KEY_MAX) return;
    slot->dict = dict;
    Py_XSETREF(slot->value, Py_NewRef(value));
    slot->n = sp.n;
    memcpy(slot->key, sp.s, sp.n);
}

/* ---- sums in öre -------------------------------------------------------------
 * The Python path adds each amount as a Decimal to the debit or credit total
 * and to its account's movement.  Here amounts of up to 15 digits are added
 * as integer öre, with the most decimals any of them had, and handed to
 * Python later in one go: the same sums, with the same exponent (a
 * Decimal sum keeps the finest exponent of its terms), and new accounts join
 * the movements dict in the order they were first seen, as in Python.  They
 * are handed over when the reader flushes them (flush_sums), or when the
 * table is full or an amount cannot be summed here. */
typedef struct {
    long long ore;
    int decimals;
} Ore;

typedef struct {
    PyObject *acc; /* strong */
    Ore sum;
} Movement;

#define MOVE_SLOTS 1024 /* a power of two; flushed when half full */

typedef struct {
    Ore debit, credit;
    Movement moves[MOVE_SLOTS / 2]; /* first-seen order */
    int index[MOVE_SLOTS];          /* open addressing: position in moves + 1, or 0 */
    int n;
} OreSums;

/* Amount text (-?digits[.d{0,2}], the grammar's) as öre; 0 if it has more than
 * 15 digits (then the Decimal path adds it). */
static int ore_of(Span sp, Ore *out) {
    const char *p = sp.s, *end = sp.s + sp.n;
    int neg = 0, digits = 0, decimals = 0, after = 0;
    long long v = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    for (; p < end; p++) {
        if (*p == '.') {
            after = 1;
            continue;
        }
        if (++digits > 15) return 0;
        v = v * 10 + (*p - '0');
        decimals += after;
    }
    for (int i = decimals; i < 2; i++) v *= 10;
    out->ore = neg ? -v : v;
    out->decimals = decimals;
    return 1;
}

/* a += b; 0 if it would leave 64 bits. */
static int ore_add(Ore *a, Ore b) {
    if ((b.ore > 0 && a->ore > LLONG_MAX - b.ore) || (b.ore < 0 && a->ore < LLONG_MIN - b.ore)) return 0;
    a->ore += b.ore;
    if (b.decimals > a->decimals) a->decimals = b.decimals;
    return 1;
}

/* The Decimal of a sum: its öre written with its number of decimals. */
static PyObject *ore_decimal(Ore o) {
    static const unsigned long long scale[3] = {1, 10, 100};
    char text[48];
    unsigned long long u = o.ore < 0 ? 0ULL - (unsigned long long)o.ore : (unsigned long long)o.ore;
    u /= scale[2 - o.decimals]; /* exact: no term had more decimals */
    const char *sign = o.ore < 0 ? "-" : "";
    if (o.decimals == 0) snprintf(text, sizeof text, "%s%llu", sign, u);
    else snprintf(text, sizeof text, "%s%llu.%0*llu", sign, u / scale[o.decimals], o.decimals, u % scale[o.decimals]);
    PyObject *s = PyUnicode_FromString(text);
    if (!s) return NULL;
    PyObject *d = PyObject_CallOneArg(Decimal, s);
    Py_DECREF(s);
    return d;
}

/* *total += sum, as Decimals. */
static int decimal_add(PyObject **total, Ore sum) {
    PyObject *d = ore_decimal(sum);
    if (!d) return -1;
    PyObject *after = PyNumber_Add(*total, d);
    Py_DECREF(d);
    if (!after) return -1;
    Py_SETREF(*total, after);
    return 0;
}

/* Hand the öre sums to Python: movements[acc] += each (first-seen order),
 * then debit and credit.  The table is empty after, whatever happened. */
static int ore_flush(OreSums *os, PyObject *movements, PyObject **debit, PyObject **credit) {
    int bad = 0;
    for (int i = 0; i < os->n; i++) {
        Movement *m = &os->moves[i];
        if (!bad) {
            PyObject *total = PyDict_GetItemWithError(movements, m->acc);
            if (!total && PyErr_Occurred()) {
                bad = 1;
            } else {
                total = Py_NewRef(total ? total : ZERO);
                bad = decimal_add(&total, m->sum) < 0 || PyDict_SetItem(movements, m->acc, total) < 0;
                Py_DECREF(total);
            }
        }
        Py_CLEAR(m->acc);
    }
    os->n = 0;
    memset(os->index, 0, sizeof os->index);
    if (!bad && os->debit.decimals >= 0) bad = decimal_add(debit, os->debit) < 0;
    if (!bad && os->credit.decimals >= 0) bad = decimal_add(credit, os->credit) < 0;
    os->debit.ore = os->credit.ore = 0;
    os->debit.decimals = os->credit.decimals = -1; /* -1: nothing added */
    return bad ? -1 : 0;
}

/* Add one amount to the öre sums; 0 if it cannot (then flush and add it as a Decimal). */
static int ore_note(OreSums *os, PyObject *acc, Ore amount) {
    Ore *side = amount.ore > 0 ? &os->debit : &os->credit;
    size_t h = ((size_t)acc >> 4) & (MOVE_SLOTS - 1);
    while (os->index[h] && os->moves[os->index[h] - 1].acc != acc) h = (h + 1) & (MOVE_SLOTS - 1);
    Movement *m = os->index[h] ? &os->moves[os->index[h] - 1] : NULL;
    if (!m && os->n == MOVE_SLOTS / 2) return 0;
    Ore side_after = *side, move_after = m ? m->sum : (Ore){0, 0};
    if (side_after.decimals < 0) side_after.decimals = 0;
    if (!ore_add(&side_after, amount) || !ore_add(&move_after, amount)) return 0;
    if (!m) {
        m = &os->moves[os->n++];
        m->acc = Py_NewRef(acc);
        os->index[h] = os->n;
    }
    *side = side_after;
    m->sum = move_after;
    return 1;
}

/* What a reader keeps for read_blocks between calls (ScanContext.state, a
 * capsule from new_state): the lookup slots, and the öre sums, which pile up
 * over many calls and reach the Stats only when the reader calls flush_sums
 * (before its line-by-line path adds to the same totals, and at the end of
 * a read) or an amount cannot be summed in öre. */
typedef struct {
    OreSums sums;
    SpanSlot accounts[SPAN_CACHE_SLOTS], objects[SPAN_CACHE_SLOTS];
} ReaderState;

#define STATE_CAPSULE "ekonomi.sie4._scan.state"

static void state_capsule_free(PyObject *capsule) {
    ReaderState *st = PyCapsule_GetPointer(capsule, STATE_CAPSULE);
    if (!st) return;
    for (int i = 0; i < st->sums.n; i++) Py_CLEAR(st->sums.moves[i].acc);
    for (int i = 0; i < SPAN_CACHE_SLOTS; i++) {
        Py_CLEAR(st->accounts[i].value);
        Py_CLEAR(st->objects[i].value);
    }
    PyMem_Free(st);
}

static PyObject *new_state(PyObject *self, PyObject *unused) {
    ReaderState *st = PyMem_Calloc(1, sizeof(ReaderState));
    if (!st) return PyErr_NoMemory();
    st->sums.debit.decimals = st->sums.credit.decimals = -1;
    PyObject *capsule = PyCapsule_New(st, STATE_CAPSULE, state_capsule_free);
    if (!capsule) PyMem_Free(st);
    return capsule;
}

/* if amount > 0: debit += amount  else: credit += amount;
 * movements[acc] = movements.get(acc, 0) + amount */
static int add_decimal(PyObject *movements, PyObject **debit, PyObject **credit, PyObject *acc, PyObject *amount) {
    int positive = PyObject_RichCompareBool(amount, ZERO, Py_GT);
    if (positive < 0) return -1;
    PyObject **side = positive ? debit : credit;
    PyObject *sum = PyNumber_Add(*side, amount);
    if (!sum) return -1;
    Py_SETREF(*side, sum);
    PyObject *before = PyDict_GetItemWithError(movements, acc);
    if (!before && PyErr_Occurred()) return -1;
    PyObject *after = PyNumber_Add(before ? before : ZERO, amount);
    if (!after) return -1;
    int bad = PyDict_SetItem(movements, acc, after);
    Py_DECREF(after);
    return bad;
}

/* The öre sums into stats.movements, stats.debit and stats.credit, then
 * ``amount`` (if any) on ``acc`` as a Decimal: what the Python path adds. */
static int sums_into_stats(ReaderState *st, PyObject *stats, PyObject *acc, PyObject *amount) {
    if (!amount && st->sums.n == 0 && st->sums.debit.decimals < 0 && st->sums.credit.decimals < 0) return 0;
    PyObject *movements = PyObject_GetAttrString(stats, "movements");
    PyObject *debit = PyObject_GetAttrString(stats, "debit"), *credit = PyObject_GetAttrString(stats, "credit");
    if (movements && !PyDict_Check(movements)) PyErr_SetString(PyExc_TypeError, "read_blocks: stats.movements must be a dict");
    int bad = PyErr_Occurred() || ore_flush(&st->sums, movements, &debit, &credit) < 0 ||
              (amount && add_decimal(movements, &debit, &credit, acc, amount) < 0) ||
              PyObject_SetAttrString(stats, "debit", debit) < 0 || PyObject_SetAttrString(stats, "credit", credit) < 0;
    Py_XDECREF(movements);
    Py_XDECREF(debit);
    Py_XDECREF(credit);
    return bad ? -1 : 0;
}

/* ---- the context: a ScanContext's parts, for one call ------------------------ */


typedef struct {
    PyObject *capsule, *fields, *decoder, *stats, *issues; /* strong, as all here */
    PyObject *accounts, *objects, *dates, *remembered;
    Py_ssize_t remember_max;
    ReaderState *state;
    int known, prior_cp437, speculative; /* the decoder's, as last read */
    Py_ssize_t pending;                  /* CP437 decisions not yet noted */
    long pending_line;
} Ctx;

static void ctx_clear(Ctx *c) {
    PyObject **all[] = {&c->capsule, &c->fields, &c->decoder, &c->stats, &c->issues, &c->accounts, &c->objects, &c->dates, &c->remembered};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) Py_CLEAR(*all[i]);
}

static int get(PyObject *o, const char *name, PyObject **out, int dict) {
    *out = o ? PyObject_GetAttrString(o, name) : NULL;
    if (*out && dict && !PyDict_Check(*out)) {
        PyErr_Format(PyExc_TypeError, "read_blocks: %s must be a dict", name);
        Py_CLEAR(*out);
    }
    return *out ? 0 : -1;
}

static int ctx_open(Ctx *c, PyObject *ctx) {
    memset(c, 0, sizeof *c);
    PyObject *limit = NULL;
    if (get(ctx, "state", &c->capsule, 0) < 0 || get(ctx, "fields", &c->fields, 0) < 0 || get(ctx, "decoder", &c->decoder, 0) < 0 ||
        get(ctx, "stats", &c->stats, 0) < 0 || get(ctx, "issues", &c->issues, 0) < 0 || get(c->fields, "accounts", &c->accounts, 1) < 0 ||
        get(c->fields, "objects", &c->objects, 1) < 0 || get(c->fields, "dates", &c->dates, 1) < 0 ||
        get(c->decoder, "remembered", &c->remembered, 1) < 0 || get(c->decoder, "REMEMBER", &limit, 0) < 0)
        return -1;
    c->remember_max = PyLong_AsSsize_t(limit);
    Py_DECREF(limit);
    if (c->remember_max == -1 && PyErr_Occurred()) return -1;
    if (!PyList_Check(c->issues)) {
        PyErr_SetString(PyExc_TypeError, "read_blocks: issues must be a list");
        return -1;
    }
    c->state = PyCapsule_GetPointer(c->capsule, STATE_CAPSULE);
    return c->state ? 0 : -1;
}

/* decoder.prior and decoder.speculative: read again after any call into Python. */
static int ctx_know(Ctx *c) {
    PyObject *prior = PyObject_GetAttrString(c->decoder, "prior");
    PyObject *spec = prior ? PyObject_GetAttrString(c->decoder, "speculative") : NULL;
    c->speculative = spec ? PyObject_IsTrue(spec) : -1;
    c->prior_cp437 = prior && PyUnicode_Check(prior) && PyUnicode_Compare(prior, CP437_NAME) == 0;
    Py_XDECREF(prior);
    Py_XDECREF(spec);
    c->known = c->speculative >= 0;
    return c->known ? 0 : -1;
}

/* The CP437 decisions made here go to decoder.note before any call into
 * Python (which may decide, or compare counts) and at the end of a call. */
static int ctx_note(Ctx *c) {
    if (!c->pending) return 0;
    PyObject *r = PyObject_CallMethod(c->decoder, "note", "Oln", CP437_NAME, c->pending_line, c->pending);
    c->pending = 0;
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* obj.method(arg, line) (or obj.method(arg) when line < 0): the reader decides. */
static PyObject *call_out(Ctx *c, PyObject *obj, const char *method, PyObject *arg, long line) {
    if (ctx_note(c) < 0) return NULL;
    c->known = 0;
    return line < 0 ? PyObject_CallMethod(obj, method, "O", arg) : PyObject_CallMethod(obj, method, "Ol", arg, line);
}

/* ---- values ------------------------------------------------------------------ */

/* FieldDecoder.decode's common cases, as it decides them (encoding.py): a
 * remembered text while the prior is CP437, and a text that is CP437 for
 * certain (prior CP437, not speculative, no byte >= 0xC0), remembered as
 * decode() remembers it.  Anything else (NULL, no error) goes to decode(). */
static PyObject *decode_fast(Ctx *c, PyObject *b, long line) {
    if (!c->known && ctx_know(c) < 0) return NULL;
    if (!c->prior_cp437) return NULL;
    PyObject *text = PyDict_GetItemWithError(c->remembered, b);
    if (text && PyUnicode_Check(text)) {
        Py_INCREF(text);
    } else {
        if (text || PyErr_Occurred() || c->speculative) return NULL;
        const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(b);
        Py_ssize_t n = PyBytes_GET_SIZE(b);
        Py_UCS4 top = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (s[i] >= 0xC0) return NULL;
            if (cp437[s[i]] > top) top = cp437[s[i]];
        }
        if (!(text = PyUnicode_New(n, top))) return NULL;
        int kind = PyUnicode_KIND(text);
        void *data = PyUnicode_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) PyUnicode_WRITE(kind, data, i, cp437[s[i]]);
        if (PyDict_GET_SIZE(c->remembered) < c->remember_max && PyDict_SetItem(c->remembered, b, text) < 0) Py_CLEAR(text);
    }
    if (text && !c->pending++) c->pending_line = line;
    return text;
}

/* A text field as str: ASCII directly, else as the reader's decoder decides. */
static PyObject *text_of(Ctx *c, Span sp, long line) {
    if (!sp.esc && is_ascii(sp)) return PyUnicode_DecodeASCII(sp.s, sp.n, NULL);
    PyObject *b = span_bytes(sp);
    if (!b) return NULL;
    PyObject *t = is_ascii(sp) ? PyUnicode_DecodeASCII(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), NULL) : decode_fast(c, b, line);
    if (!t && !PyErr_Occurred()) t = call_out(c, c->decoder, "decode", b, line);
    Py_DECREF(b);
    return t;
}

/* ``text or None`` */
static PyObject *text_or_none(Ctx *c, Span sp, long line) {
    if (!sp.present || sp.n == 0) Py_RETURN_NONE;
    PyObject *t = text_of(c, sp, line);
    if (t && PyUnicode_GET_LENGTH(t) == 0) Py_SETREF(t, Py_NewRef(Py_None));
    return t;
}

static PyObject *decimal_of(Span sp) {
    PyObject *s = PyUnicode_DecodeASCII(sp.s, sp.n, NULL);
    if (!s) return NULL;
    PyObject *d = PyObject_CallOneArg(Decimal, s);
    Py_DECREF(s);
    return d;
}

/* fields.dates.get(b), else fields.<method>(b[, line]): a date or None. */
static PyObject *date_of(Ctx *c, Span sp, const char *method, long line) {
    PyObject *b = PyBytes_FromStringAndSize(sp.s, sp.n);
    if (!b) return NULL;
    PyObject *d = PyDict_GetItemWithError(c->dates, b);
    if (d && d != Py_None) Py_INCREF(d);
    else d = PyErr_Occurred() ? NULL : call_out(c, c->fields, method, b, line);
    Py_DECREF(b);
    return d;
}

/* ---- rows -------------------------------------------------------------------- */

/* fields.accounts[bytes], the str made and remembered there if new. */
static PyObject *account_of(Ctx *c, Span sp) {
    SpanSlot *slot = span_slot(c->state->accounts, sp.s, sp.n);
    PyObject *acc = span_cached(slot, c->accounts, sp);
    if (acc) return Py_NewRef(acc);
    PyObject *key = PyBytes_FromStringAndSize(sp.s, sp.n);
    if (!key) return NULL;
    acc = PyDict_GetItemWithError(c->accounts, key);
    if (acc) {
        Py_INCREF(acc);
    } else if (!PyErr_Occurred()) {
        acc = PyUnicode_DecodeASCII(sp.s, sp.n, NULL);
        if (acc && PyDict_SetItem(c->accounts, key, acc) < 0) Py_CLEAR(acc);
    }
    Py_DECREF(key);
    if (acc) span_remember(slot, c->accounts, sp, acc);
    return acc;
}

/* fields.objects[inner], else fields.object_list(inner, line): (pairs, #KSUMMA bytes). */
static PyObject *objects_of(Ctx *c, Span sp, long line) {
    SpanSlot *slot = span_slot(c->state->objects, sp.s, sp.n);
    PyObject *cached = span_cached(slot, c->objects, sp);
    if (cached) return Py_NewRef(cached);
    PyObject *key = PyBytes_FromStringAndSize(sp.s, sp.n);
    if (!key) return NULL;
    cached = PyDict_GetItemWithError(c->objects, key);
    if (cached) Py_INCREF(cached);
    else if (!PyErr_Occurred()) cached = call_out(c, c->fields, "object_list", key, line);
    /* Only what the dict holds is remembered: the reader caches its answer, or is asked again next time. */
    PyObject *held = cached ? PyDict_GetItemWithError(c->objects, key) : NULL;
    Py_DECREF(key);
    if (!cached || (!held && PyErr_Occurred())) {
        Py_XDECREF(cached);
        return NULL;
    }
    if (!PyTuple_Check(cached) || PyTuple_GET_SIZE(cached) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(cached, 1))) {
        PyErr_SetString(PyExc_TypeError, "object_list must give (pairs, bytes)");
        Py_DECREF(cached);
        return NULL;
    }
    if (held == cached) span_remember(slot, c->objects, sp, cached);
    return cached;
}

/* The amount into the öre sums, or (a huge amount, a full table) what is
 * summed so far first, then this amount as a Decimal, so the movements keep
 * the order of the Python path. */
static int add_amount(Ctx *c, PyObject *acc, Span sp, PyObject *amount) {
    Ore ore;
    if (ore_of(sp, &ore) && ore_note(&c->state->sums, acc, ore)) return 0;
    return sums_into_stats(c->state, c->stats, acc, amount);
}

static int row_checksum(Buf *ck, Row *r, PyObject *crc) {
    return buf_add(ck, "#TRANS", 6) < 0 || buf_span(ck, r->account) < 0 ||
                   buf_add(ck, PyBytes_AS_STRING(crc), PyBytes_GET_SIZE(crc)) < 0 || buf_span(ck, r->amount) < 0 ||
                   buf_span(ck, r->day) < 0 || buf_span(ck, r->text) < 0 || buf_span(ck, r->qty) < 0 || buf_span(ck, r->sign) < 0
               ? -1
               : 0;
}

#define SET(rec, i, expr)                 \
    do {                                  \
        PyObject *x_ = (expr);            \
        if (!x_) goto fail;               \
        PyTuple_SET_ITEM((rec), (i), x_); \
    } while (0)

/* One row's VoucherRow; adds to the sums and its #KSUMMA bytes to ck. */
static PyObject *make_row(Ctx *c, Row *r, long line, Buf *ck) {
    PyObject *row = new_record(RowType, 9), *objects = NULL;
    if (!row) return NULL;
    SET(row, 0, account_of(c, r->account));
    if (!(objects = objects_of(c, r->objects, line))) goto fail;
    SET(row, 1, decimal_of(r->amount));
    SET(row, 2, Py_NewRef(PyTuple_GET_ITEM(objects, 0)));
    SET(row, 3, r->day.n ? date_of(c, r->day, "row_date", line) : Py_NewRef(Py_None));
    SET(row, 4, text_or_none(c, r->text, line));
    SET(row, 5, r->qty.n ? decimal_of(r->qty) : Py_NewRef(Py_None));
    SET(row, 6, Py_NewRef(POSTED));
    SET(row, 7, text_or_none(c, r->sign, line));
    SET(row, 8, PyLong_FromLong(line));
    if ((ck && row_checksum(ck, r, PyTuple_GET_ITEM(objects, 1)) < 0) ||
        add_amount(c, PyTuple_GET_ITEM(row, 0), r->amount, PyTuple_GET_ITEM(row, 1)) < 0)
        goto fail;
    Py_DECREF(objects);
    return row;
fail:
    Py_XDECREF(objects);
    Py_DECREF(row);
    return NULL;
}

/* ---- the blocks ---------------------------------------------------------------- */

#define MAX_ROWS 4096 /* a bigger voucher is left to Python */

/* A whole plain block at p: its head, its rows (n of them) and the position
 * after its '}' line; NULL if it is not one. */
static const char *parse_block(const char *p, const char *end, Head *h, Row *rows, Py_ssize_t *n) {
    const char *q = parse_head(p, end, h);
    if (!q) return NULL;
    q = skip_blanks(q, end);
    if (q >= end || *q != '{' || !(q = line_end(q + 1, end))) return NULL;
    for (*n = 0;; (*n)++) {
        const char *b = skip_blanks(q, end);
        if (b < end && *b == '}') return *n ? line_end(b + 1, end) : NULL;
        if (*n == MAX_ROWS || !(q = parse_row(q, end, &rows[*n]))) return NULL;
    }
}

static int head_checksum(Buf *ck, Head *h) {
    return buf_add(ck, "#VER", 4) < 0 || buf_span(ck, h->series) < 0 || buf_span(ck, h->number) < 0 ||
                   buf_span(ck, h->date) < 0 || buf_span(ck, h->text) < 0 || buf_span(ck, h->reg) < 0 || buf_span(ck, h->sign) < 0
               ? -1
               : 0;
}

/* The block's Voucher, in the order the Python path makes its parts; NULL
 * without an error if a date of its head is not a date (then Python reads
 * the block line by line). */
static PyObject *make_voucher(Ctx *c, Head *h, Row *rows, Py_ssize_t n, long line, Buf *ck) {
    PyObject *v = new_record(VoucherType, 9), *items;
    if (!v) return NULL;
    SET(v, 2, date_of(c, h->date, "plain_date", -1));
    if (PyTuple_GET_ITEM(v, 2) == Py_None) goto fail;
    SET(v, 5, h->reg.present ? date_of(c, h->reg, "plain_date", -1) : Py_NewRef(Py_None));
    if (h->reg.present && PyTuple_GET_ITEM(v, 5) == Py_None) goto fail;
    if (ck && head_checksum(ck, h) < 0) goto fail;
    SET(v, 0, text_of(c, h->series, line));
    SET(v, 1, text_of(c, h->number, line));
    SET(v, 3, h->text.present ? text_of(c, h->text, line) : PyUnicode_FromStringAndSize("", 0));
    SET(v, 6, text_or_none(c, h->sign, line));
    SET(v, 4, items = PyTuple_New(n));
    for (Py_ssize_t i = 0; i < n; i++) SET(items, i, make_row(c, &rows[i], line + 2 + (long)i, ck));
    SET(v, 7, Py_NewRef(Py_None));
    SET(v, 8, PyLong_FromLong(line));
    return v;
fail:
    Py_DECREF(v);
    return NULL;
}

static int append_bytes(PyObject *list, Buf *b) {
    PyObject *bytes = PyBytes_FromStringAndSize(b->buf, b->len);
    int bad = !bytes || PyList_Append(list, bytes) < 0;
    Py_XDECREF(bytes);
    return bad ? -1 : 0;
}

static PyObject *read_blocks(PyObject *self, PyObject *args) {
    PyObject *ctx, *parts, *out = NULL;
    Py_buffer view;
    Py_ssize_t pos;
    long line, nrows = 0;
    if (!PyArg_ParseTuple(args, "Oy*nlO", &ctx, &view, &pos, &line, &parts)) return NULL;
    Ctx c;
    Buf ck = {NULL, 0, 0}, *cks = parts == Py_None ? NULL : &ck;
    Row *rows = PyMem_Malloc(sizeof(Row) * MAX_ROWS);
    PyObject *vouchers = PyList_New(0);
    if (ctx_open(&c, ctx) < 0 || !vouchers || !rows) {
        if (!rows) PyErr_NoMemory();
        goto done;
    }
    if ((cks && !PyList_Check(parts)) || pos < 0 || pos > view.len) {
        PyErr_SetString(PyExc_ValueError, "read_blocks: parts must be a list or None, pos within data");
        goto done;
    }
    const char *data = view.buf, *end = data + view.len, *p = data + pos, *q;
    Head h;
    Py_ssize_t n;
    while (p < end && (q = parse_block(p, end, &h, rows, &n))) {
        ck.len = 0;
        PyObject *v = make_voucher(&c, &h, rows, n, line + 1, cks);
        if (!v && PyErr_Occurred()) goto done;
        if (!v) break;
        int bad = PyList_Append(vouchers, v);
        Py_DECREF(v);
        if (bad < 0 || (cks && append_bytes(parts, cks) < 0)) goto done;
        nrows += (long)n;
        line += (long)n + 3; /* the '}' line */
        p = q;
        if (PyList_GET_SIZE(c.issues) > 0) break; /* the caller yields them before this voucher */
    }
    if (ctx_note(&c) == 0) out = Py_BuildValue("(Onll)", vouchers, (Py_ssize_t)(p - data), line, nrows);
done:
    ctx_clear(&c);
    Py_XDECREF(vouchers);
    PyMem_Free(rows);
    PyMem_Free(ck.buf);
    PyBuffer_Release(&view);
    return out;
}

static PyObject *flush_sums(PyObject *self, PyObject *ctx) {
    PyObject *capsule = PyObject_GetAttrString(ctx, "state"), *stats = PyObject_GetAttrString(ctx, "stats");
    ReaderState *st = capsule && stats ? PyCapsule_GetPointer(capsule, STATE_CAPSULE) : NULL;
    int bad = !st || sums_into_stats(st, stats, NULL, NULL) < 0;
    Py_XDECREF(capsule);
    Py_XDECREF(stats);
    if (bad) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"read_blocks", read_blocks, METH_VARARGS, "read_blocks(ctx, data, pos, line, parts) -> (vouchers, pos, line, rows)"},
    {"new_state", new_state, METH_NOARGS, "What a reader keeps for read_blocks between calls: lookup slots and öre sums."},
    {"flush_sums", flush_sums, METH_O, "flush_sums(ctx): the öre sums kept in ctx.state added to ctx.stats."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "Plain SIE voucher blocks read whole.", -1, methods};

static PyObject *import(const char *module, const char *name) {
    PyObject *m = PyImport_ImportModule(module);
    PyObject *x = m ? PyObject_GetAttrString(m, name) : NULL;
    Py_XDECREF(m);
    return x;
}

PyMODINIT_FUNC PyInit__scan(void) {
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    PyObject *table = PyUnicode_Decode((const char *)all, 256, "cp437", "strict");
    if (!table) return NULL;
    for (int i = 0; i < 256; i++) cp437[i] = PyUnicode_ReadChar(table, i);
    Py_DECREF(table);
    PyObject *kinds = import("ekonomi.core", "RowKind");
    if (!Decimal && (!(Decimal = import("decimal", "Decimal")) || !(ZERO = PyObject_CallFunction(Decimal, "i", 0)) ||
                     !(VoucherType = import("ekonomi.core", "Voucher")) || !(RowType = import("ekonomi.core", "VoucherRow")) ||
                     !kinds || !(POSTED = PyObject_GetAttrString(kinds, "POSTED")) || !(CP437_NAME = PyUnicode_InternFromString("cp437")))) {
        Py_XDECREF(kinds);
        return NULL;
    }
    Py_XDECREF(kinds);
    return PyModule_Create(&module);
}
