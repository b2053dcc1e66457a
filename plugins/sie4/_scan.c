/* Plain SIE voucher blocks read whole, in C: the accelerator of normalize.py.
 *
 *   read_blocks(data, pos, line, debit, credit, parts, ctx)
 *       -> (vouchers, pos, line, rows, debit, credit)
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
 * or at the end.  Nothing here decides anything the Python code decides: a
 * block is taken only if it is exactly a block the regular expressions of
 * normalize.py take (a subset: a quoted field with a backslash is left to
 * Python), dates, non-ASCII texts and object lists not seen before go to the
 * reader's own callbacks, and the result equals what the line-by-line path
 * gives (tests/test_sie_fastpaths.py compares the record streams).  A block
 * is parsed whole before anything is done with it, so a refused block
 * leaves no trace.
 *
 * ctx is a tuple: accounts (bytes -> str), objects (bytes -> (pairs, crc)),
 * dates (bytes -> date|None), movements (str -> Decimal), decode(bytes, line),
 * plain_date(bytes), object_list(bytes, line), row_date(bytes, line), Decimal,
 * VoucherRow, Voucher, RowKind.POSTED, Decimal(0), issues (list), the
 * field decoder with its _cache, counts and first_line, the name "cp437",
 * and the reader's own C state (new_state: lookup slots and pending sums;
 * the reader calls flush_sums before it adds to the same totals itself, and
 * at the end of a read).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

enum {
    C_ACCOUNTS, C_OBJECTS, C_DATES, C_MOVEMENTS, C_DECODE, C_PLAIN_DATE, C_OBJECT_LIST,
    C_ROW_DATE, C_DECIMAL, C_ROWTYPE, C_VOUCHERTYPE, C_POSTED, C_ZERO, C_ISSUES,
    C_DECODER, C_DEC_CACHE, C_DEC_COUNTS, C_DEC_FIRST, C_CP437_NAME, C_STATE, C_SIZE
};

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
        if (*q == '\n') return NULL;
        if (*q == '\\' && q + 1 < end && q[1] == '"') {
            esc = 1;
            q++;
        }
        q++;
    }
    if (q >= end) return NULL;
    sp->s = p; sp->n = q - p; sp->present = 1; sp->esc = esc;
    return q + 1;
}

/* A #VER field: quoted, or unquoted [^"\s{}]+. */
static const char *field(const char *p, const char *end, Span *sp) {
    if (p < end && *p == '"') return quoted(p, end, sp);
    const char *q = p;
    while (q < end && *q != '"' && !IS_SPACE(*q) && *q != '{' && *q != '}') q++;
    if (q == p) return NULL;
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
        while (q < end && *q != '"' && *q != '\\' && !IS_SPACE(*q) && *q != '{' && *q != '}') q++;
        if (q >= end || *q != '"') return NULL;
        p = q + 1;
        sp->n = p - sp->s;
    }
}

/* -?[0-9]+(\.[0-9]+)? with at most ``decimals`` decimals (-1: any), then a separator or the end. */
static const char *number(const char *p, const char *end, int decimals, Span *sp) {
    const char *q = p;
    if (q < end && *q == '-') q++;
    const char *d = q;
    while (q < end && IS_DIGIT(*q)) q++;
    if (q == d) return NULL;
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

/* ---- values ------------------------------------------------------------------ */

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

static Py_UCS4 cp437[256]; /* filled at import from Python's own cp437 codec */
static PyObject *one;        /* 1, for counts[enc] += 1 */

/* FieldDecoder.decode's two common cases, step for step (encoding.py): a
 * remembered text whose encoding is the prior, and a text that is CP437 for
 * certain (the prior is CP437, no byte >= 0xC0, CP437 already used, not
 * reading speculatively).  Anything else (NULL, no error) goes to decode(). */
static PyObject *decode_common(PyObject *b, PyObject *ctx) {
    PyObject *decoder = PyTuple_GET_ITEM(ctx, C_DECODER), *counts = PyTuple_GET_ITEM(ctx, C_DEC_COUNTS);
    PyObject *cache = PyTuple_GET_ITEM(ctx, C_DEC_CACHE), *name = PyTuple_GET_ITEM(ctx, C_CP437_NAME);
    PyObject *prior = PyObject_GetAttrString(decoder, "_prior");
    if (!prior) return NULL;
    PyObject *text = NULL, *enc = NULL;
    PyObject *hit = PyDict_GetItemWithError(cache, b);
    if (hit) {
        if (!PyTuple_Check(hit) || PyTuple_GET_SIZE(hit) != 2) goto out;
        enc = PyTuple_GET_ITEM(hit, 1);
        int same = PyObject_RichCompareBool(enc, prior, Py_EQ);
        if (same <= 0) goto out;
        text = Py_NewRef(PyTuple_GET_ITEM(hit, 0));
    } else {
        if (PyErr_Occurred()) goto out;
        int certain = PyUnicode_Check(prior) && PyUnicode_Compare(prior, name) == 0;
        PyObject *spec = certain ? PyObject_GetAttrString(decoder, "speculative") : NULL;
        if (certain && !spec) goto out;
        certain = certain && spec == Py_False && PyDict_Contains(PyTuple_GET_ITEM(ctx, C_DEC_FIRST), name) == 1;
        Py_XDECREF(spec);
        const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(b);
        Py_ssize_t n = PyBytes_GET_SIZE(b);
        Py_UCS4 top = 0;
        for (Py_ssize_t i = 0; certain && i < n; i++) {
            if (s[i] >= 0xC0) certain = 0;
            else if (cp437[s[i]] > top) top = cp437[s[i]];
        }
        if (!certain) goto out;
        if (!(text = PyUnicode_New(n, top))) goto out;
        int kind = PyUnicode_KIND(text);
        void *data = PyUnicode_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) PyUnicode_WRITE(kind, data, i, cp437[s[i]]);
        enc = name;
        if (PyDict_GET_SIZE(cache) < 20000) { /* as decode() remembers CP437 texts */
            PyObject *pair = PyTuple_Pack(2, text, name);
            if (!pair || PyDict_SetItem(cache, b, pair) < 0) {
                Py_XDECREF(pair);
                Py_CLEAR(text);
                goto out;
            }
            Py_DECREF(pair);
        }
    }
    /* counts[enc] += 1: the prior stays the prior */
    PyObject *was = PyDict_GetItemWithError(counts, enc);
    PyObject *now = was ? PyNumber_Add(was, one) : NULL;
    if (!now || PyDict_SetItem(counts, enc, now) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "decoder counts out of step");
        Py_XDECREF(now);
        Py_CLEAR(text);
        goto out;
    }
    Py_DECREF(now);
out:
    Py_DECREF(prior);
    return text;
}

/* A text field as str: ASCII directly, else through the reader's decoder. */
static PyObject *text_of(Span sp, long line, PyObject *ctx) {
    if (!sp.esc && is_ascii(sp)) return PyUnicode_DecodeASCII(sp.s, sp.n, NULL);
    PyObject *b = span_bytes(sp);
    if (b && sp.esc && is_ascii(sp)) {
        PyObject *t = PyUnicode_DecodeASCII(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), NULL);
        Py_DECREF(b);
        return t;
    }
    if (!b) return NULL;
    PyObject *t = decode_common(b, ctx);
    if (!t && !PyErr_Occurred()) t = PyObject_CallFunction(PyTuple_GET_ITEM(ctx, C_DECODE), "Ol", b, line);
    Py_DECREF(b);
    return t;
}

/* ``text or None`` */
static PyObject *text_or_none(Span sp, long line, PyObject *ctx) {
    if (!sp.present || sp.n == 0) Py_RETURN_NONE;
    PyObject *t = text_of(sp, line, ctx);
    if (t && PyUnicode_GET_LENGTH(t) == 0) {
        Py_DECREF(t);
        Py_RETURN_NONE;
    }
    return t;
}

static PyObject *decimal_of(Span sp, PyObject *ctx) {
    PyObject *s = PyUnicode_DecodeASCII(sp.s, sp.n, NULL);
    if (!s) return NULL;
    PyObject *d = PyObject_CallOneArg(PyTuple_GET_ITEM(ctx, C_DECIMAL), s);
    Py_DECREF(s);
    return d;
}

/* dates.get(b) or plain_date(b): a new reference to a date or None. */
static PyObject *head_date(Span sp, PyObject *ctx) {
    PyObject *b = PyBytes_FromStringAndSize(sp.s, sp.n);
    if (!b) return NULL;
    PyObject *d = PyDict_GetItemWithError(PyTuple_GET_ITEM(ctx, C_DATES), b);
    if (d && d != Py_None) {
        Py_DECREF(b);
        return Py_NewRef(d);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(b);
        return NULL;
    }
    d = PyObject_CallOneArg(PyTuple_GET_ITEM(ctx, C_PLAIN_DATE), b);
    Py_DECREF(b);
    return d;
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
static PyObject *ore_decimal(Ore o, PyObject *decimal) {
    static const unsigned long long scale[3] = {1, 10, 100};
    char text[48];
    unsigned long long u = o.ore < 0 ? 0ULL - (unsigned long long)o.ore : (unsigned long long)o.ore;
    u /= scale[2 - o.decimals]; /* exact: no term had more decimals */
    const char *sign = o.ore < 0 ? "-" : "";
    if (o.decimals == 0) snprintf(text, sizeof text, "%s%llu", sign, u);
    else snprintf(text, sizeof text, "%s%llu.%0*llu", sign, u / scale[o.decimals], o.decimals, u % scale[o.decimals]);
    PyObject *s = PyUnicode_FromString(text);
    if (!s) return NULL;
    PyObject *d = PyObject_CallOneArg(decimal, s);
    Py_DECREF(s);
    return d;
}

/* *total += sum, as Decimals. */
static int decimal_add(PyObject **total, Ore sum, PyObject *decimal) {
    PyObject *d = ore_decimal(sum, decimal);
    if (!d) return -1;
    PyObject *after = PyNumber_Add(*total, d);
    Py_DECREF(d);
    if (!after) return -1;
    Py_SETREF(*total, after);
    return 0;
}

/* Hand the öre sums to Python: movements[acc] += each (first-seen order),
 * then debit and credit.  The table is empty after, whatever happened. */
static int ore_flush(OreSums *os, PyObject *movements, PyObject *decimal, PyObject *zero, PyObject **debit, PyObject **credit) {
    int bad = 0;
    for (int i = 0; i < os->n; i++) {
        Movement *m = &os->moves[i];
        if (!bad) {
            PyObject *total = PyDict_GetItemWithError(movements, m->acc);
            if (!total && PyErr_Occurred()) {
                bad = 1;
            } else {
                total = Py_NewRef(total ? total : zero);
                bad = decimal_add(&total, m->sum, decimal) < 0 || PyDict_SetItem(movements, m->acc, total) < 0;
                Py_DECREF(total);
            }
        }
        Py_CLEAR(m->acc);
    }
    os->n = 0;
    memset(os->index, 0, sizeof os->index);
    if (!bad && os->debit.decimals >= 0) bad = decimal_add(debit, os->debit, decimal) < 0;
    if (!bad && os->credit.decimals >= 0) bad = decimal_add(credit, os->credit, decimal) < 0;
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

/* What the C reader keeps per reader, between read_blocks calls, in a
 * capsule the reader holds (new_state): the lookup slots, and the sums, which
 * pile up over many calls and reach Python only when the reader asks
 * (flush_sums): before its line-by-line path adds to the same totals, and at
 * the end of a read. */
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

static PyObject *flush_sums(PyObject *self, PyObject *args) {
    PyObject *capsule, *movements, *decimal, *zero, *debit, *credit;
    if (!PyArg_ParseTuple(args, "OO!OOOO", &capsule, &PyDict_Type, &movements, &decimal, &zero, &debit, &credit)) return NULL;
    ReaderState *st = PyCapsule_GetPointer(capsule, STATE_CAPSULE);
    if (!st) return NULL;
    OreSums *os = &st->sums;
    Py_INCREF(debit);
    Py_INCREF(credit);
    if (ore_flush(os, movements, decimal, zero, &debit, &credit) < 0) {
        Py_DECREF(debit);
        Py_DECREF(credit);
        return NULL;
    }
    return Py_BuildValue("(NN)", debit, credit);
}

typedef struct {
    PyObject *debit, *credit; /* owned */
    ReaderState *state;
} Sums;

/* One row's record; updates the sums and movements.  Appends its checksum bytes. */
static PyObject *make_row(Row *r, long row_line, PyObject *ctx, Sums *sums, Buf *ck) {
    PyObject *accounts = PyTuple_GET_ITEM(ctx, C_ACCOUNTS);
    PyObject *objects = PyTuple_GET_ITEM(ctx, C_OBJECTS);
    PyObject *row = NULL, *acc = NULL, *cached = NULL, *amount = NULL;
    PyObject *day = NULL, *text = NULL, *qty = NULL, *sign = NULL;

    SpanSlot *slot = span_slot(sums->state->accounts, r->account.s, r->account.n);
    acc = span_cached(slot, accounts, r->account);
    if (acc) {
        Py_INCREF(acc);
    } else {
        PyObject *key = PyBytes_FromStringAndSize(r->account.s, r->account.n);
        if (!key) return NULL;
        acc = PyDict_GetItemWithError(accounts, key);
        if (acc) {
            Py_INCREF(acc);
        } else if (!PyErr_Occurred()) {
            acc = PyUnicode_DecodeASCII(r->account.s, r->account.n, NULL);
            if (acc && PyDict_SetItem(accounts, key, acc) < 0) Py_CLEAR(acc);
        }
        Py_DECREF(key);
        if (!acc) return NULL;
        span_remember(slot, accounts, r->account, acc);
    }

    slot = span_slot(sums->state->objects, r->objects.s, r->objects.n);
    cached = span_cached(slot, objects, r->objects);
    if (cached) {
        Py_INCREF(cached);
    } else {
        PyObject *key = PyBytes_FromStringAndSize(r->objects.s, r->objects.n);
        if (!key) goto fail;
        cached = PyDict_GetItemWithError(objects, key);
        if (cached) {
            Py_INCREF(cached);
        } else if (!PyErr_Occurred()) {
            cached = PyObject_CallFunction(PyTuple_GET_ITEM(ctx, C_OBJECT_LIST), "Ol", key, row_line);
        }
        /* Only what the dict holds is remembered: the callback's answer is
         * cached by the reader itself, or asked again next time. */
        PyObject *held = cached ? PyDict_GetItemWithError(objects, key) : NULL;
        Py_DECREF(key);
        if (!cached || (!held && PyErr_Occurred())) goto fail;
        if (held == cached) span_remember(slot, objects, r->objects, cached);
    }
    if (!PyTuple_Check(cached) || PyTuple_GET_SIZE(cached) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(cached, 1))) {
        PyErr_SetString(PyExc_TypeError, "object_list must give (pairs, bytes)");
        goto fail;
    }
    if (!(amount = decimal_of(r->amount, ctx))) goto fail;

    int extras = (r->day.present && r->day.n) || (r->text.present && r->text.n) || (r->qty.present && r->qty.n) ||
                 (r->sign.present && r->sign.n);
    if (extras) {
        if (r->day.present && r->day.n) {
            PyObject *b = PyBytes_FromStringAndSize(r->day.s, r->day.n);
            if (!b) goto fail;
            day = PyDict_GetItemWithError(PyTuple_GET_ITEM(ctx, C_DATES), b);
            if (day && day != Py_None) {
                Py_INCREF(day);
            } else if (!PyErr_Occurred()) {
                day = PyObject_CallFunction(PyTuple_GET_ITEM(ctx, C_ROW_DATE), "Ol", b, row_line);
            } else {
                day = NULL;
            }
            Py_DECREF(b);
            if (!day) goto fail;
        }
        if (!(text = text_or_none(r->text, row_line, ctx))) goto fail;
        if (r->qty.present && r->qty.n) {
            if (!(qty = decimal_of(r->qty, ctx))) goto fail;
        }
        if (!(sign = text_or_none(r->sign, row_line, ctx))) goto fail;
    }
    if (ck) {
        if (buf_add(ck, "#TRANS", 6) < 0 || buf_span(ck, r->account) < 0) goto fail;
        PyObject *crc = PyTuple_GET_ITEM(cached, 1);
        if (buf_add(ck, PyBytes_AS_STRING(crc), PyBytes_GET_SIZE(crc)) < 0) goto fail;
        if (buf_span(ck, r->amount) < 0 || buf_span(ck, r->day) < 0 || buf_span(ck, r->text) < 0 ||
            buf_span(ck, r->qty) < 0 || buf_span(ck, r->sign) < 0)
            goto fail;
    }
    if (!(row = new_record(PyTuple_GET_ITEM(ctx, C_ROWTYPE), 9))) goto fail;
    PyTuple_SET_ITEM(row, 0, Py_NewRef(acc));
    PyTuple_SET_ITEM(row, 1, Py_NewRef(amount));
    PyTuple_SET_ITEM(row, 2, Py_NewRef(PyTuple_GET_ITEM(cached, 0)));
    PyTuple_SET_ITEM(row, 3, day ? day : Py_NewRef(Py_None));
    PyTuple_SET_ITEM(row, 4, text ? text : Py_NewRef(Py_None));
    PyTuple_SET_ITEM(row, 5, qty ? qty : Py_NewRef(Py_None));
    PyTuple_SET_ITEM(row, 6, Py_NewRef(PyTuple_GET_ITEM(ctx, C_POSTED)));
    PyTuple_SET_ITEM(row, 7, sign ? sign : Py_NewRef(Py_None));
    day = text = qty = sign = NULL; /* now owned by row */
    PyObject *num = PyLong_FromLong(row_line);
    if (!num) goto fail;
    PyTuple_SET_ITEM(row, 8, num);

    Ore ore;
    if (ore_of(r->amount, &ore) && ore_note(&sums->state->sums, acc, ore)) goto done;
    /* A huge amount, or a full table: what is summed so far goes first, so
     * the order of the movements stays that of the Python path. */
    if (ore_flush(&sums->state->sums, PyTuple_GET_ITEM(ctx, C_MOVEMENTS), PyTuple_GET_ITEM(ctx, C_DECIMAL), PyTuple_GET_ITEM(ctx, C_ZERO),
                  &sums->debit, &sums->credit) < 0)
        goto fail;
    /* if amount > 0: debit += amount  else: credit += amount */
    PyObject *zero = PyTuple_GET_ITEM(ctx, C_ZERO);
    int positive = PyObject_RichCompareBool(amount, zero, Py_GT);
    if (positive < 0) goto fail;
    PyObject **side = positive ? &sums->debit : &sums->credit;
    PyObject *sum = PyNumber_Add(*side, amount);
    if (!sum) goto fail;
    Py_SETREF(*side, sum);
    /* movements[acc] = movements.get(acc, 0) + amount */
    PyObject *movements = PyTuple_GET_ITEM(ctx, C_MOVEMENTS);
    PyObject *before = PyDict_GetItemWithError(movements, acc);
    if (!before && PyErr_Occurred()) goto fail;
    PyObject *after = PyNumber_Add(before ? before : zero, amount);
    if (!after) goto fail;
    int bad = PyDict_SetItem(movements, acc, after);
    Py_DECREF(after);
    if (bad < 0) goto fail;
done:
    Py_DECREF(acc);
    Py_DECREF(cached);
    Py_DECREF(amount);
    return row;
fail:
    Py_XDECREF(row);
    Py_XDECREF(acc);
    Py_XDECREF(cached);
    Py_XDECREF(amount);
    Py_XDECREF(day);
    Py_XDECREF(text);
    Py_XDECREF(qty);
    Py_XDECREF(sign);
    return NULL;
}

/* ---- the blocks ---------------------------------------------------------------- */

#define MAX_ROWS 4096 /* a bigger voucher is left to Python */

static PyObject *read_blocks(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    long line;
    PyObject *debit, *credit, *parts, *ctx;
    if (!PyArg_ParseTuple(args, "y*nlOOOO!", &view, &pos, &line, &debit, &credit, &parts, &PyTuple_Type, &ctx))
        return NULL;
    if (PyTuple_GET_SIZE(ctx) != C_SIZE || (parts != Py_None && !PyList_Check(parts))) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "read_blocks: bad context");
        return NULL;
    }
    const char *data = view.buf, *end = data + view.len;
    PyObject *issues = PyTuple_GET_ITEM(ctx, C_ISSUES);
    PyObject *vouchers = PyList_New(0);
    Row *rows = PyMem_Malloc(sizeof(Row) * MAX_ROWS);
    Buf ck = {NULL, 0, 0};
    Sums sums = {Py_NewRef(debit), Py_NewRef(credit), PyCapsule_GetPointer(PyTuple_GET_ITEM(ctx, C_STATE), STATE_CAPSULE)};
    long nrows = 0;
    if (!vouchers || !rows || !sums.state) {
        if (!rows) PyErr_NoMemory();
        goto fail;
    }
    if (pos < 0 || pos > view.len) {
        PyErr_SetString(PyExc_ValueError, "read_blocks: pos out of range");
        goto fail;
    }
    const char *p = data + pos;
    while (p < end) {
        /* Phase 1: parse the whole block; nothing is done yet. */
        Head h;
        const char *q = parse_head(p, end, &h);
        if (!q) break;
        q = skip_blanks(q, end);
        if (q >= end || *q != '{' || !(q = line_end(q + 1, end))) break;
        Py_ssize_t n = 0;
        for (;;) {
            const char *b = skip_blanks(q, end);
            if (b < end && *b == '}') {
                q = line_end(b + 1, end);
                break;
            }
            if (n == MAX_ROWS || !(q = parse_row(q, end, &rows[n]))) {
                q = NULL;
                break;
            }
            n++;
        }
        if (!q || n == 0) break;
        /* Phase 2: its dates must be dates, else Python reads it line by line. */
        PyObject *day = head_date(h.date, ctx);
        if (!day) goto fail;
        if (day == Py_None) {
            Py_DECREF(day);
            break;
        }
        PyObject *reg = NULL;
        if (h.reg.present) {
            if (!(reg = head_date(h.reg, ctx))) {
                Py_DECREF(day);
                goto fail;
            }
            if (reg == Py_None) {
                Py_DECREF(day);
                Py_DECREF(reg);
                break;
            }
        }
        /* Phase 3: the records, in the order the Python path makes them. */
        long ver_line = line + 1;
        PyObject *series = NULL, *num = NULL, *text = NULL, *sign = NULL, *tuple = NULL, *voucher = NULL;
        Buf *cks = (parts != Py_None) ? &ck : NULL;
        ck.len = 0;
        if (cks) {
            if (buf_add(cks, "#VER", 4) < 0 || buf_span(cks, h.series) < 0 || buf_span(cks, h.number) < 0 ||
                buf_span(cks, h.date) < 0 || buf_span(cks, h.text) < 0 || buf_span(cks, h.reg) < 0 ||
                buf_span(cks, h.sign) < 0)
                goto block_fail;
        }
        if (!(series = text_of(h.series, ver_line, ctx))) goto block_fail;
        if (!(num = text_of(h.number, ver_line, ctx))) goto block_fail;
        if (h.text.present) {
            if (!(text = text_of(h.text, ver_line, ctx))) goto block_fail;
        } else if (!(text = PyUnicode_FromStringAndSize("", 0))) {
            goto block_fail;
        }
        if (!(sign = text_or_none(h.sign, ver_line, ctx))) goto block_fail;
        if (!(tuple = PyTuple_New(n))) goto block_fail;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *row = make_row(&rows[i], ver_line + 2 + (long)i, ctx, &sums, cks);
            if (!row) goto block_fail;
            PyTuple_SET_ITEM(tuple, i, row);
        }
        if (!(voucher = new_record(PyTuple_GET_ITEM(ctx, C_VOUCHERTYPE), 9))) goto block_fail;
        PyTuple_SET_ITEM(voucher, 0, series);
        PyTuple_SET_ITEM(voucher, 1, num);
        PyTuple_SET_ITEM(voucher, 2, day);
        PyTuple_SET_ITEM(voucher, 3, text);
        PyTuple_SET_ITEM(voucher, 4, tuple);
        PyTuple_SET_ITEM(voucher, 5, reg ? reg : Py_NewRef(Py_None));
        PyTuple_SET_ITEM(voucher, 6, sign);
        PyTuple_SET_ITEM(voucher, 7, Py_NewRef(Py_None));
        series = num = day = text = tuple = reg = sign = NULL;
        PyObject *vl = PyLong_FromLong(ver_line);
        if (!vl) goto block_fail;
        PyTuple_SET_ITEM(voucher, 8, vl);
        if (PyList_Append(vouchers, voucher) < 0) goto block_fail;
        Py_CLEAR(voucher);
        if (cks) {
            PyObject *bytes = PyBytes_FromStringAndSize(ck.buf, ck.len);
            if (!bytes) goto fail;
            int bad = PyList_Append(parts, bytes);
            Py_DECREF(bytes);
            if (bad < 0) goto fail;
        }
        nrows += (long)n;
        line = ver_line + (long)n + 2; /* the '}' line */
        p = q;
        if (PyList_GET_SIZE(issues) > 0) break; /* the caller yields them before this voucher */
        continue;
    block_fail:
        Py_XDECREF(series);
        Py_XDECREF(num);
        Py_XDECREF(day);
        Py_XDECREF(text);
        Py_XDECREF(tuple);
        Py_XDECREF(reg);
        Py_XDECREF(sign);
        Py_XDECREF(voucher);
        goto fail;
    }
    PyMem_Free(rows);
    PyMem_Free(ck.buf);
    PyBuffer_Release(&view);
    PyObject *out = Py_BuildValue("(NnllNN)", vouchers, (Py_ssize_t)(p - data), line, nrows, sums.debit, sums.credit);
    return out;
fail:
    PyMem_Free(rows);
    PyMem_Free(ck.buf);
    PyBuffer_Release(&view);
    Py_XDECREF(vouchers);
    Py_XDECREF(sums.debit);
    Py_XDECREF(sums.credit);
    return NULL;
}

static PyMethodDef methods[] = {
    {"read_blocks", read_blocks, METH_VARARGS, "Read consecutive plain voucher blocks (see the module's source)."},
    {"new_state", new_state, METH_NOARGS, "What a reader keeps for read_blocks between calls: lookup slots and öre sums."},
    {"flush_sums", flush_sums, METH_VARARGS,
     "flush_sums(sums, movements, Decimal, ZERO, debit, credit) -> (debit, credit): the pending sums added in."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "Plain SIE voucher blocks read whole.", -1, methods};

PyMODINIT_FUNC PyInit__scan(void) {
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    PyObject *table = PyUnicode_Decode((const char *)all, 256, "cp437", "strict");
    if (!table) return NULL;
    for (int i = 0; i < 256; i++) cp437[i] = PyUnicode_ReadChar(table, i);
    Py_DECREF(table);
    if (!one && !(one = PyLong_FromLong(1))) return NULL;
    return PyModule_Create(&module);
}
