/* The import's loops over voucher rows, in C, and the packing of rows for
 * the writers (core/engine/writers.py); _native.py is the same in Python and
 * tests/test_core_rowloops.py, test_core_stage.py and test_core_copy.py
 * check that both give the same.
 *
 *   ledger_rows(rows, POSTED, ZERO, accounts, undeclared)
 *       -> (posted, other, [(account, line), ...] newly undeclared, in order)
 *   VoucherPacker(cid, accounts, unknown, objects_json, dumps, kind_text, HUNDRED, POSTED, *, copy=False)
 *       .pack(voucher, vid, fid, import_id, content_hash, voucher_batch, row_batch) -> (rows, posted count)
 *       the voucher and its rows appended to the writer's two batches in
 *       the packed form or, with copy=True, in PostgreSQL's COPY text form
 *       (core/engine/_pack.h), with no tuple made per row
 *   pack_row(batch, tuple), copy_row(batch, tuple)
 *       any other row appended in those forms
 *
 * rows: a sequence of VoucherRow (account, amount, objects, date, text,
 * quantity, kind, signature, line).
 */

#include "_pack.h"

#define OBJECTS_JSON_MAX 50000 /* the cache of encoded object lists stays bounded */

static int row_ok(PyObject *row) {
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) < 9) {
        PyErr_SetString(PyExc_TypeError, "a voucher row must be a VoucherRow");
        return 0;
    }
    return 1;
}

static PyObject *ledger_rows(PyObject *self, PyObject *args) {
    PyObject *seq, *posted_kind, *zero, *accounts, *undeclared;
    if (!PyArg_ParseTuple(args, "OOOOO!", &seq, &posted_kind, &zero, &accounts, &PySet_Type, &undeclared)) return NULL;
    PyObject *rows = PySequence_Fast(seq, "rows must be a sequence");
    if (!rows) return NULL;
    PyObject *posted = Py_NewRef(zero), *other = Py_NewRef(zero), *fresh = PyList_New(0);
    if (!fresh) goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(rows);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(rows, i);
        if (!row_ok(row)) goto fail;
        PyObject *account = PyTuple_GET_ITEM(row, 0), *amount = PyTuple_GET_ITEM(row, 1);
        PyObject **side = (PyTuple_GET_ITEM(row, 6) == posted_kind) ? &posted : &other;
        PyObject *sum = PyNumber_Add(*side, amount);
        if (!sum) goto fail;
        Py_SETREF(*side, sum);
        int known = PySequence_Contains(accounts, account);
        if (known < 0) goto fail;
        if (known) continue;
        known = PySet_Contains(undeclared, account);
        if (known < 0) goto fail;
        if (known) continue;
        if (PySet_Add(undeclared, account) < 0) goto fail;
        PyObject *pair = PyTuple_Pack(2, account, PyTuple_GET_ITEM(row, 8));
        if (!pair) goto fail;
        int bad = PyList_Append(fresh, pair);
        Py_DECREF(pair);
        if (bad < 0) goto fail;
    }
    Py_DECREF(rows);
    return Py_BuildValue("(NNN)", posted, other, fresh);
fail:
    Py_DECREF(rows);
    Py_XDECREF(posted);
    Py_XDECREF(other);
    Py_XDECREF(fresh);
    return NULL;
}

/* None if value is None, else value.isoformat() / str(value); isoformat
 * through a cache (a dict). */
#define ISO_CACHE_MAX 20000

static PyObject *iso_or_none(PyObject *value, PyObject *cache) {
    if (value == Py_None) Py_RETURN_NONE;
    PyObject *iso = PyDict_GetItemWithError(cache, value);
    if (iso || PyErr_Occurred()) return Py_XNewRef(iso);
    iso = PyObject_CallMethod(value, "isoformat", NULL);
    if (iso && PyDict_GET_SIZE(cache) < ISO_CACHE_MAX && PyDict_SetItem(cache, value, iso) < 0) Py_CLEAR(iso);
    return iso;
}

static PyObject *str_or_none(PyObject *value) {
    if (value == Py_None) Py_RETURN_NONE;
    return PyObject_Str(value);
}

/* int(amount * HUNDRED), as columns.ore does.  Turning a Decimal into an int
 * is its slowest operation, so the common case is read from its text
 * instead: -?digits[.d{0,2}] with at most 16 digits gives the same number.
 * Anything else (an exponent, more decimals, NaN) takes Python's way. */
#define MAX_ORE 1000000000000000LL /* columns.MAX_ORE: |amount| < 10^13 kr */

static PyObject *ore_of(PyObject *amount, PyObject *hundred) {
    PyObject *text = PyObject_Str(amount);
    if (!text) return NULL;
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(text, &n), *end = p ? p + n : NULL;
    if (!p) {
        Py_DECREF(text);
        return NULL;
    }
    int neg = 0, digits = 0, decimals = -1, plain = 1;
    long long v = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    for (; p < end && plain; p++) {
        if (*p == '.' && decimals < 0) {
            decimals = 0;
        } else if (*p >= '0' && *p <= '9' && ++digits <= 16) {
            v = v * 10 + (*p - '0');
            if (decimals >= 0 && ++decimals > 2) plain = 0;
        } else {
            plain = 0;
        }
    }
    Py_DECREF(text);
    if (plain && digits > 0 && decimals != 0) {
        for (int i = decimals < 0 ? 0 : decimals; i < 2; i++) v *= 10;
    } else {
        PyObject *scaled = PyNumber_Multiply(amount, hundred);
        PyObject *ore = scaled ? PyNumber_Long(scaled) : NULL;
        Py_XDECREF(scaled);
        if (!ore) return NULL;
        int overflow = 0;
        v = PyLong_AsLongLongAndOverflow(ore, &overflow);
        Py_DECREF(ore);
        if (v == -1 && PyErr_Occurred()) return NULL;
        neg = v < 0;
        v = overflow || v <= -MAX_ORE || v >= MAX_ORE ? MAX_ORE : (neg ? -v : v);
    }
    if (v >= MAX_ORE) {
        PyErr_Format(PyExc_OverflowError, "%S kr is beyond what books hold (less than 10^13 kr)", amount);
        return NULL;
    }
    return PyLong_FromLongLong(neg ? -v : v);
}

/* VoucherPacker: the store's whole voucher (its voucher tuple and its rows)
 * packed straight into the writer's two batches, with no tuple per row. */
enum { CID, ACCOUNTS, UNKNOWN, OBJECTS_JSON, DUMPS, KIND_TEXT, HUNDRED, POSTED, ISO_CACHE, NREFS };
typedef struct {
    PyObject_HEAD
    PyObject *refs[NREFS];
    int copy; /* rows in COPY text form, not the packed form */
} VoucherPacker;

/* A voucher_row has twelve values (columns.ROW_COLS). */
enum { ROW_NCOLS = 12 };

/* The store's loop: each row of ``rows`` is appended to the batch
 * ``packed``.  Counts posted rows into *posted.  0, or -1 with an exception set. */
static int store_loop(VoucherPacker *self, PyObject *rows, PyObject *vid, PyObject *fid, PyObject *packed, long *posted) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(rows);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(rows, i);
        if (!row_ok(row)) return -1;
        PyObject *account = PyTuple_GET_ITEM(row, 0), *amount = PyTuple_GET_ITEM(row, 1);
        PyObject *objs = PyTuple_GET_ITEM(row, 2), *kind = PyTuple_GET_ITEM(row, 6);
        if (kind == self->refs[POSTED]) (*posted)++;
        int known = PySequence_Contains(self->refs[ACCOUNTS], account);
        if (known < 0 || (!known && PySet_Add(self->refs[UNKNOWN], account) < 0)) return -1;
        PyObject *objects;
        int some = PyObject_IsTrue(objs);
        if (some < 0) return -1;
        if (some) {
            objects = PyDict_GetItemWithError(self->refs[OBJECTS_JSON], objs);
            if (objects) {
                Py_INCREF(objects);
            } else {
                if (PyErr_Occurred()) return -1;
                objects = PyObject_CallOneArg(self->refs[DUMPS], objs);
                if (!objects) return -1;
                if (PyDict_GET_SIZE(self->refs[OBJECTS_JSON]) < OBJECTS_JSON_MAX && PyDict_SetItem(self->refs[OBJECTS_JSON], objs, objects) < 0) {
                    Py_DECREF(objects);
                    return -1;
                }
            }
        } else {
            objects = Py_NewRef(Py_None);
        }
        PyObject *ktext = PyDict_GetItemWithError(self->refs[KIND_TEXT], kind);
        if (!ktext) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, kind);
            Py_DECREF(objects);
            return -1;
        }
        PyObject *ore = ore_of(amount, self->refs[HUNDRED]);
        PyObject *day = ore ? iso_or_none(PyTuple_GET_ITEM(row, 3), self->refs[ISO_CACHE]) : NULL;
        PyObject *qty = day ? str_or_none(PyTuple_GET_ITEM(row, 5)) : NULL;
        if (!qty) {
            Py_DECREF(objects);
            Py_XDECREF(ore);
            Py_XDECREF(day);
            return -1;
        }
        /* ore, objects, day and qty are ours (released below); the rest are borrowed. */
        PyObject *values[ROW_NCOLS] = {vid, self->refs[CID], fid, ktext, account, ore, objects, day,
                                       PyTuple_GET_ITEM(row, 4), qty, PyTuple_GET_ITEM(row, 7), PyTuple_GET_ITEM(row, 8)};
        int bad = pack_values(packed, values, ROW_NCOLS, self->copy) < 0;
        Py_DECREF(objects);
        Py_DECREF(ore);
        Py_DECREF(day);
        Py_DECREF(qty);
        if (bad) return -1;
    }
    return 0;
}

static int packer_init(VoucherPacker *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"cid", "accounts", "unknown", "objects_json", "dumps", "kind_text", "hundred", "posted", "copy", NULL};
    PyObject *r[8];
    int copy = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO!O!OO!OO|$p", kwlist, &r[0], &r[1], &PySet_Type, &r[2], &PyDict_Type, &r[3], &r[4],
                                     &PyDict_Type, &r[5], &r[6], &r[7], &copy))
        return -1;
    self->copy = copy;
    for (int i = 0; i < ISO_CACHE; i++) Py_XSETREF(self->refs[i], Py_NewRef(r[i]));
    Py_XSETREF(self->refs[ISO_CACHE], PyDict_New()); /* dates as text, once each: an import repeats few dates */
    return self->refs[ISO_CACHE] ? 0 : -1;
}

static int packer_traverse(VoucherPacker *self, visitproc visit, void *arg) {
    for (int i = 0; i < NREFS; i++) Py_VISIT(self->refs[i]);
    return 0;
}

static int packer_clear(VoucherPacker *self) {
    for (int i = 0; i < NREFS; i++) Py_CLEAR(self->refs[i]);
    return 0;
}

static void packer_dealloc(VoucherPacker *self) {
    PyObject_GC_UnTrack(self);
    packer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A voucher has thirteen values (columns.VOUCHER_COLS). */
enum { VOUCHER_NCOLS = 13 };

static PyObject *packer_pack(VoucherPacker *self, PyObject *args) {
    PyObject *v, *vid, *fid, *import_id, *content_hash, *vbuf, *rbuf;
    if (!PyArg_ParseTuple(args, "O!OOOOO!O!", &PyTuple_Type, &v, &vid, &fid, &import_id, &content_hash, &PyByteArray_Type, &vbuf,
                          &PyByteArray_Type, &rbuf))
        return NULL;
    if (!self->refs[ISO_CACHE]) {
        PyErr_SetString(PyExc_RuntimeError, "VoucherPacker was not initialised");
        return NULL;
    }
    if (PyTuple_GET_SIZE(v) < 9) {
        PyErr_SetString(PyExc_TypeError, "a voucher must be a Voucher");
        return NULL;
    }
    /* Voucher: series, number, date, text, rows, registration_date, signature, source_id, line */
    PyObject *day = iso_or_none(PyTuple_GET_ITEM(v, 2), self->refs[ISO_CACHE]);
    PyObject *reg = day ? iso_or_none(PyTuple_GET_ITEM(v, 5), self->refs[ISO_CACHE]) : NULL;
    if (!reg) {
        Py_XDECREF(day);
        return NULL;
    }
    PyObject *values[VOUCHER_NCOLS] = {vid, self->refs[CID], fid, import_id, PyTuple_GET_ITEM(v, 0), PyTuple_GET_ITEM(v, 1), day,
                                       PyTuple_GET_ITEM(v, 3), reg, PyTuple_GET_ITEM(v, 6), PyTuple_GET_ITEM(v, 7), content_hash,
                                       PyTuple_GET_ITEM(v, 8)};
    Py_ssize_t at_v = PyByteArray_GET_SIZE(vbuf);
    int bad = pack_values(vbuf, values, VOUCHER_NCOLS, self->copy) < 0;
    Py_DECREF(day);
    Py_DECREF(reg);
    if (bad) return NULL;
    PyObject *rows = PySequence_Fast(PyTuple_GET_ITEM(v, 4), "rows must be a sequence");
    if (!rows) return NULL;
    long posted = 0;
    Py_ssize_t at = PyByteArray_GET_SIZE(rbuf), n = PySequence_Fast_GET_SIZE(rows);
    if (store_loop(self, rows, vid, fid, rbuf, &posted) < 0) {
        /* No half voucher in the batch: its rows go, and so does its head. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyByteArray_Resize(rbuf, at);
        PyByteArray_Resize(vbuf, at_v);
        PyErr_Restore(type, value, tb);
        Py_DECREF(rows);
        return NULL;
    }
    Py_DECREF(rows);
    return Py_BuildValue("(nl)", n, posted);
}

static PyMethodDef packer_methods[] = {
    {"pack", (PyCFunction)packer_pack, METH_VARARGS,
     "pack(voucher, vid, fid, import_id, content_hash, voucher_batch, row_batch) -> (rows, posted rows)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject VoucherPackerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ekonomi.core.engine._rows.VoucherPacker",
    .tp_basicsize = sizeof(VoucherPacker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "VoucherPacker(cid, accounts, unknown, objects_json, dumps, kind_text, HUNDRED, POSTED, *, copy=False)",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)packer_init,
    .tp_dealloc = (destructor)packer_dealloc,
    .tp_traverse = (traverseproc)packer_traverse,
    .tp_clear = (inquiry)packer_clear,
    .tp_methods = packer_methods,
};

/* One row (a tuple of None, int and str) appended to a batch. */
static PyObject *append_row(PyObject *args, int copy) {
    PyObject *buf, *row;
    if (!PyArg_ParseTuple(args, "O!O!", &PyByteArray_Type, &buf, &PyTuple_Type, &row)) return NULL;
    if (pack_values(buf, PySequence_Fast_ITEMS(row), PyTuple_GET_SIZE(row), copy) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *pack_row(PyObject *module, PyObject *args) { return append_row(args, 0); }
static PyObject *copy_row(PyObject *module, PyObject *args) { return append_row(args, 1); }

static PyMethodDef methods[] = {
    {"pack_row", pack_row, METH_VARARGS, "pack_row(batch, row): append a row in the packed form (core/engine/_pack.h)."},
    {"copy_row", copy_row, METH_VARARGS, "copy_row(batch, row): append a row in PostgreSQL's COPY text form."},
    {"ledger_rows", ledger_rows, METH_VARARGS, "The ledger rules' loop over a voucher's rows (checks.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rows", "Voucher-row loops of the import, in C.", -1, methods};

PyMODINIT_FUNC PyInit__rows(void) {
    if (PyType_Ready(&VoucherPackerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddObjectRef(m, "VoucherPacker", (PyObject *)&VoucherPackerType) < 0) Py_CLEAR(m);
    return m;
}
