/* Database rows in the two forms the writers take (core/engine/writers.py),
 * built in C from the store's values (core/engine/_rows.c) so no tuple is
 * made per row; core/engine/_native.py makes the same bytes in Python:
 *
 * 1. The packed form, bound into SQLite by core/engine/_stage.c.
 *
 * A batch is the rows of one table, one after another; a row is its values in
 * column order; a value is a tag byte and its payload:
 *
 *     'n'                       NULL
 *     'i' int64                 an integer, native byte order
 *     't' uint32 len, bytes     a text, UTF-8
 *
 * The batch never leaves the process (a writer thread reads it), so native
 * byte order and alignment-free memcpy are enough.
 *
 * 2. PostgreSQL's COPY text format (UTF-8), sent as it is by one COPY:
 * values separated by a tab, rows ended by a newline, NULL as \N, and in
 * texts a backslash, tab, newline or carriage return escaped.
 *
 * Only what the store binds is packable: None, int and str.  Money is
 * integer öre, dates ISO text.
 */

#ifndef EKONOMI_PACK_H
#define EKONOMI_PACK_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PACK_NULL 'n'
#define PACK_INT 'i'
#define PACK_TEXT 't'

/* One value, measured before the row is written (so a row costs one resize). */
typedef struct {
    char tag;
    long long num;
    const char *text;
    Py_ssize_t len;
} packed_value;

/* Read a value for packing; -1 with an exception set if it cannot be packed. */
static inline int pack_measure(PyObject *value, packed_value *out, Py_ssize_t *size) {
    if (value == Py_None) {
        out->tag = PACK_NULL;
        *size += 1;
        return 0;
    }
    if (PyLong_Check(value)) {
        int overflow = 0;
        out->num = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "an integer to store does not fit in 64 bits");
            return -1;
        }
        if (out->num == -1 && PyErr_Occurred()) return -1;
        out->tag = PACK_INT;
        *size += 1 + 8;
        return 0;
    }
    if (PyUnicode_Check(value)) {
        out->text = PyUnicode_AsUTF8AndSize(value, &out->len);
        if (!out->text) return -1;
        if (out->len > INT_MAX) { /* sqlite3_bind_text takes an int */
            PyErr_SetString(PyExc_OverflowError, "a text to store is longer than 2 GB");
            return -1;
        }
        out->tag = PACK_TEXT;
        *size += 1 + 4 + out->len;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "cannot store a value of type %.100s (only None, int and str)", Py_TYPE(value)->tp_name);
    return -1;
}

/* Append measured values (``size`` bytes in all) to a bytearray. */
static inline int pack_write(PyObject *buf, const packed_value *values, Py_ssize_t n, Py_ssize_t size) {
    Py_ssize_t at = PyByteArray_GET_SIZE(buf);
    if (PyByteArray_Resize(buf, at + size) < 0) return -1;
    char *p = PyByteArray_AS_STRING(buf) + at;
    for (Py_ssize_t i = 0; i < n; i++) {
        *p++ = values[i].tag;
        if (values[i].tag == PACK_INT) {
            int64_t num = (int64_t)values[i].num;
            memcpy(p, &num, 8);
            p += 8;
        } else if (values[i].tag == PACK_TEXT) {
            uint32_t len = (uint32_t)values[i].len;
            memcpy(p, &len, 4);
            memcpy(p + 4, values[i].text, values[i].len);
            p += 4 + values[i].len;
        }
    }
    return 0;
}

/* The COPY text form of one value, written at p (at most 20 bytes, or twice a
 * text's length); returns where it ends. */
static inline char *copy_value(char *p, const packed_value *v) {
    if (v->tag == PACK_NULL) {
        *p++ = '\\';
        *p++ = 'N';
    } else if (v->tag == PACK_INT) {
        char digits[24];
        unsigned long long u = v->num < 0 ? 0ULL - (unsigned long long)v->num : (unsigned long long)v->num;
        int k = 0;
        do {
            digits[k++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v->num < 0) *p++ = '-';
        while (k) *p++ = digits[--k];
    } else {
        for (Py_ssize_t i = 0; i < v->len; i++) {
            char ch = v->text[i];
            switch (ch) {
            case '\\': *p++ = '\\'; *p++ = '\\'; break;
            case '\t': *p++ = '\\'; *p++ = 't'; break;
            case '\n': *p++ = '\\'; *p++ = 'n'; break;
            case '\r': *p++ = '\\'; *p++ = 'r'; break;
            default: *p++ = ch;
            }
        }
    }
    return p;
}

/* Append measured values to a bytearray as one COPY text row: room for the
 * longest form first, the unused end cut off after. */
static inline int copy_write(PyObject *buf, const packed_value *values, Py_ssize_t n) {
    Py_ssize_t most = n, at = PyByteArray_GET_SIZE(buf); /* n - 1 tabs and the newline */
    for (Py_ssize_t i = 0; i < n; i++) most += values[i].tag == PACK_TEXT ? 2 * values[i].len : 20;
    if (PyByteArray_Resize(buf, at + most) < 0) return -1;
    char *start = PyByteArray_AS_STRING(buf) + at, *p = start;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i) *p++ = '\t';
        p = copy_value(p, &values[i]);
    }
    *p++ = '\n';
    return PyByteArray_Resize(buf, at + (p - start));
}

/* Append n values as one row in the chosen form (copy: COPY text, else
 * packed); all are measured first, so a value refused leaves nothing behind. */
static inline int pack_values(PyObject *buf, PyObject *const *objects, Py_ssize_t n, int copy) {
    packed_value small[16], *values = n <= 16 ? small : PyMem_New(packed_value, n);
    if (!values) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t size = 0;
    int bad = 0;
    for (Py_ssize_t i = 0; i < n && !bad; i++) bad = pack_measure(objects[i], &values[i], &size) < 0;
    if (!bad) bad = (copy ? copy_write(buf, values, n) : pack_write(buf, values, n, size)) < 0;
    if (values != small) PyMem_Free(values);
    return bad ? -1 : 0;
}

#endif
