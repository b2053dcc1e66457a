/* The two loops over voucher rows that every import runs, in C.
 *
 * An import of a million vouchers goes over four million rows twice: the
 * ledger rules add them up (checks.py) and the store turns them into database
 * tuples (store.py).  These are those loops, statement for statement; the
 * Python loops beside them are the reference and run where this module is not
 * built, and tests/test_core_rowloops.py checks that both give the same.
 *
 *   ledger_rows(rows, POSTED, ZERO, accounts, undeclared)
 *       -> (posted, other, [(account, line), ...] newly undeclared, in order)
 *   store_rows(rows, vid, cid, fid, accounts, unknown, objects_json, dumps, kind_text, HUNDRED, POSTED)
 *       -> (tuples, posted count)
 *
 * rows: a sequence of VoucherRow (account, amount, objects, date, text,
 * quantity, kind, signature, line).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define OBJECTS_JSON_MAX 50000 /* as store.py: the cache stays bounded */

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

/* None if value is None, else value.method() / str(value). */
static PyObject *iso_or_none(PyObject *value) {
    if (value == Py_None) Py_RETURN_NONE;
    return PyObject_CallMethod(value, "isoformat", NULL);
}

static PyObject *str_or_none(PyObject *value) {
    if (value == Py_None) Py_RETURN_NONE;
    return PyObject_Str(value);
}

static PyObject *store_rows(PyObject *self, PyObject *args) {
    PyObject *seq, *vid, *cid, *fid, *accounts, *unknown, *objects_json, *dumps, *kind_text, *hundred, *posted_kind;
    if (!PyArg_ParseTuple(args, "OOOOOO!O!OO!OO", &seq, &vid, &cid, &fid, &accounts, &PySet_Type, &unknown, &PyDict_Type,
                          &objects_json, &dumps, &PyDict_Type, &kind_text, &hundred, &posted_kind))
        return NULL;
    PyObject *rows = PySequence_Fast(seq, "rows must be a sequence");
    if (!rows) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(rows);
    PyObject *out = PyList_New(n);
    if (!out) {
        Py_DECREF(rows);
        return NULL;
    }
    long posted = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(rows, i);
        if (!row_ok(row)) goto fail;
        PyObject *account = PyTuple_GET_ITEM(row, 0), *amount = PyTuple_GET_ITEM(row, 1);
        PyObject *objs = PyTuple_GET_ITEM(row, 2), *kind = PyTuple_GET_ITEM(row, 6);
        if (kind == posted_kind) posted++;
        int known = PySequence_Contains(accounts, account);
        if (known < 0 || (!known && PySet_Add(unknown, account) < 0)) goto fail;
        PyObject *objects;
        int some = PyObject_IsTrue(objs);
        if (some < 0) goto fail;
        if (some) {
            objects = PyDict_GetItemWithError(objects_json, objs);
            if (objects) {
                Py_INCREF(objects);
            } else {
                if (PyErr_Occurred()) goto fail;
                objects = PyObject_CallOneArg(dumps, objs);
                if (!objects) goto fail;
                if (PyDict_GET_SIZE(objects_json) < OBJECTS_JSON_MAX && PyDict_SetItem(objects_json, objs, objects) < 0) {
                    Py_DECREF(objects);
                    goto fail;
                }
            }
        } else {
            objects = Py_NewRef(Py_None);
        }
        PyObject *ktext = PyDict_GetItemWithError(kind_text, kind);
        if (!ktext) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, kind);
            Py_DECREF(objects);
            goto fail;
        }
        PyObject *scaled = PyNumber_Multiply(amount, hundred);
        PyObject *ore = scaled ? PyNumber_Long(scaled) : NULL;
        Py_XDECREF(scaled);
        PyObject *day = ore ? iso_or_none(PyTuple_GET_ITEM(row, 3)) : NULL;
        PyObject *qty = day ? str_or_none(PyTuple_GET_ITEM(row, 5)) : NULL;
        PyObject *tuple = qty ? PyTuple_New(12) : NULL;
        if (!tuple) {
            Py_DECREF(objects);
            Py_XDECREF(ore);
            Py_XDECREF(day);
            Py_XDECREF(qty);
            goto fail;
        }
        PyTuple_SET_ITEM(tuple, 0, Py_NewRef(vid));
        PyTuple_SET_ITEM(tuple, 1, Py_NewRef(cid));
        PyTuple_SET_ITEM(tuple, 2, Py_NewRef(fid));
        PyTuple_SET_ITEM(tuple, 3, Py_NewRef(ktext));
        PyTuple_SET_ITEM(tuple, 4, Py_NewRef(account));
        PyTuple_SET_ITEM(tuple, 5, ore);
        PyTuple_SET_ITEM(tuple, 6, objects);
        PyTuple_SET_ITEM(tuple, 7, day);
        PyTuple_SET_ITEM(tuple, 8, Py_NewRef(PyTuple_GET_ITEM(row, 4)));
        PyTuple_SET_ITEM(tuple, 9, qty);
        PyTuple_SET_ITEM(tuple, 10, Py_NewRef(PyTuple_GET_ITEM(row, 7)));
        PyTuple_SET_ITEM(tuple, 11, Py_NewRef(PyTuple_GET_ITEM(row, 8)));
        PyList_SET_ITEM(out, i, tuple);
    }
    Py_DECREF(rows);
    return Py_BuildValue("(Nl)", out, posted);
fail:
    Py_DECREF(rows);
    Py_DECREF(out); /* unset items are NULL, which list dealloc skips */
    return NULL;
}

static PyMethodDef methods[] = {
    {"ledger_rows", ledger_rows, METH_VARARGS, "The ledger rules' loop over a voucher's rows (checks.py)."},
    {"store_rows", store_rows, METH_VARARGS, "The store's loop over a voucher's rows (store.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rows", "Voucher-row loops of the import, in C.", -1, methods};

PyMODINIT_FUNC PyInit__rows(void) { return PyModule_Create(&module); }
