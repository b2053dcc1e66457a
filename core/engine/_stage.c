/* A SQLite connection of its own that binds packed batches.
 *
 * Binding millions of rows through Python's sqlite3 module costs all of its
 * time under the interpreter lock; here a writer thread binds a packed batch
 * (core/engine/_pack.h) with the lock released, so the main thread goes on
 * reading the input on the other core.  The same connection runs the
 * import's other statements (target.SqliteConnection), so that one
 * transaction holds them all.  core/engine/_native.py is the same through
 * Python's sqlite3 module.
 *
 *   Stage(path)               open (create) a database file, through
 *                             sqlite3_open_v2: SQLite's public API
 *   .execute(sql[, params])   one statement, its :name parameters taken from
 *                             the mapping params (None, int, float, str,
 *                             bytes) -> (rows, rows changed or -1)
 *   .prepare(sql) -> int      an INSERT with ncols parameters, kept open
 *   .insert(stmt, ncols, batch[, stmt_one]) -> rows written
 *                             stmt may take several rows a step (its
 *                             parameters a multiple of ncols); the rest
 *                             of the batch then goes through stmt_one
 *   .close()                  uncommitted work is lost
 *
 * A Stage is used by one thread at a time (the caller makes sure: the writer
 * thread inserts, the owner executes only after it has synced), so its
 * connection is opened without SQLite's mutex.
 */

#include "_pack.h"
#include <sqlite3.h>

#define MAX_STMTS 16

static PyObject *StageError;

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    sqlite3_stmt *stmts[MAX_STMTS];
    int nstmts;
} Stage;

static PyObject *stage_fail(Stage *self, const char *what) {
    PyErr_Format(StageError, "%s: %s", what, self->db ? sqlite3_errmsg(self->db) : "the connection is closed");
    return NULL;
}

static int stage_open(Stage *self) {
    if (!self->db) {
        PyErr_SetString(StageError, "the connection is closed");
        return 0;
    }
    return 1;
}

static void stage_release(Stage *self) {
    for (int i = 0; i < self->nstmts; i++) sqlite3_finalize(self->stmts[i]);
    self->nstmts = 0;
    if (self->db) sqlite3_close(self->db);
    self->db = NULL;
}

static int stage_init(Stage *self, PyObject *args, PyObject *kwds) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path)) return -1;
    stage_release(self);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    Py_END_ALLOW_THREADS
    if (rc != SQLITE_OK) {
        stage_fail(self, "cannot open the database file");
        stage_release(self);
        return -1;
    }
    return 0;
}

static void stage_dealloc(Stage *self) {
    stage_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Bind params[name] to each :name parameter of stmt.  0, or -1 with an exception set. */
static int bind_params(Stage *self, sqlite3_stmt *stmt, PyObject *params) {
    for (int i = 1, n = sqlite3_bind_parameter_count(stmt); i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(stmt, i);
        PyObject *value = name && name[0] == ':' && params ? PyMapping_GetItemString(params, name + 1) : NULL;
        if (!value) {
            if (!params || PyErr_ExceptionMatches(PyExc_KeyError)) {
                PyErr_Clear();
                PyErr_Format(StageError, "no value for the parameter %s", name ? name : "?");
            }
            return -1;
        }
        int rc = SQLITE_MISUSE;
        Py_ssize_t len;
        if (value == Py_None) {
            rc = sqlite3_bind_null(stmt, i);
        } else if (PyLong_Check(value)) {
            long long num = PyLong_AsLongLong(value);
            if (!(num == -1 && PyErr_Occurred())) rc = sqlite3_bind_int64(stmt, i, num);
        } else if (PyFloat_Check(value)) {
            rc = sqlite3_bind_double(stmt, i, PyFloat_AS_DOUBLE(value));
        } else if (PyUnicode_Check(value)) {
            const char *utf8 = PyUnicode_AsUTF8AndSize(value, &len);
            if (utf8) rc = sqlite3_bind_text64(stmt, i, utf8, (sqlite3_uint64)len, SQLITE_TRANSIENT, SQLITE_UTF8);
        } else if (PyBytes_Check(value)) {
            rc = sqlite3_bind_blob64(stmt, i, PyBytes_AS_STRING(value), (sqlite3_uint64)PyBytes_GET_SIZE(value), SQLITE_TRANSIENT);
        } else {
            PyErr_Format(PyExc_TypeError, "cannot bind :%s, a %.100s", name + 1, Py_TYPE(value)->tp_name);
        }
        Py_DECREF(value);
        if (PyErr_Occurred()) return -1;
        if (rc != SQLITE_OK) {
            stage_fail(self, "cannot bind");
            return -1;
        }
    }
    return 0;
}

static PyObject *column_value(sqlite3_stmt *stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: return PyLong_FromLongLong(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT: return PyFloat_FromDouble(sqlite3_column_double(stmt, i));
    case SQLITE_TEXT:
        return PyUnicode_FromStringAndSize((const char *)sqlite3_column_text(stmt, i), sqlite3_column_bytes(stmt, i));
    case SQLITE_BLOB: return PyBytes_FromStringAndSize(sqlite3_column_blob(stmt, i), sqlite3_column_bytes(stmt, i));
    default: Py_RETURN_NONE;
    }
}

/* The rows of one step, appended to list rows; 0, or -1 with an exception set. */
static int fetch_row(sqlite3_stmt *stmt, PyObject *rows) {
    int ncols = sqlite3_column_count(stmt);
    PyObject *row = PyTuple_New(ncols);
    if (!row) return -1;
    for (int i = 0; i < ncols; i++) {
        PyObject *value = column_value(stmt, i);
        if (!value) {
            Py_DECREF(row);
            return -1;
        }
        PyTuple_SET_ITEM(row, i, value);
    }
    int bad = PyList_Append(rows, row);
    Py_DECREF(row);
    return bad;
}

static PyObject *stage_execute(Stage *self, PyObject *args) {
    const char *sql;
    PyObject *params = NULL;
    if (!PyArg_ParseTuple(args, "s|O", &sql, &params) || !stage_open(self)) return NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) return stage_fail(self, "cannot prepare");
    PyObject *rows = PyList_New(0);
    int rc = SQLITE_ERROR;
    if (rows && bind_params(self, stmt, params) == 0) {
        do {
            Py_BEGIN_ALLOW_THREADS /* it may wait for the write lock, or run long */
            rc = sqlite3_step(stmt);
            Py_END_ALLOW_THREADS
        } while (rc == SQLITE_ROW && fetch_row(stmt, rows) == 0);
        if (rc != SQLITE_DONE && !PyErr_Occurred()) stage_fail(self, "the statement failed");
    }
    int changes = sqlite3_stmt_readonly(stmt) ? -1 : sqlite3_changes(self->db);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        Py_XDECREF(rows);
        return NULL;
    }
    return Py_BuildValue("(Ni)", rows, changes);
}

static PyObject *stage_prepare(Stage *self, PyObject *args) {
    const char *sql;
    if (!PyArg_ParseTuple(args, "s", &sql) || !stage_open(self)) return NULL;
    if (self->nstmts == MAX_STMTS) {
        PyErr_SetString(StageError, "too many prepared statements");
        return NULL;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) return stage_fail(self, "cannot prepare");
    self->stmts[self->nstmts] = stmt;
    return PyLong_FromLong(self->nstmts++);
}

/* Read the packed value at *pp into v; 0, or -1 with *why set (a malformed batch). */
static int read_value(const char **pp, const char *end, packed_value *v, const char **why) {
    const char *p = *pp;
    uint32_t len = 0;
    if (p >= end) return *why = "a packed batch ends inside a row", -1;
    v->tag = *p++;
    if (v->tag == PACK_INT) {
        int64_t num;
        if (end - p < 8) return *why = "a packed batch ends inside a number", -1;
        memcpy(&num, p, 8);
        v->num = num;
        p += 8;
    } else if (v->tag == PACK_TEXT) {
        if (end - p >= 4) memcpy(&len, p, 4);
        if (end - p < 4 || (size_t)(end - p - 4) < len) return *why = "a packed batch ends inside a text", -1;
        v->text = p + 4;
        v->len = len;
        p += 4 + len;
    } else if (v->tag != PACK_NULL) {
        return *why = "a packed batch holds an unknown value tag", -1;
    }
    *pp = p;
    return 0;
}

/* Bind one row's values from *pp, as parameters first+1 .. first+ncols.
 * Returns 0; -1 with *why set (a malformed batch); -2 on a SQLite error. */
static int bind_row(sqlite3_stmt *stmt, int first, int ncols, const char **pp, const char *end, const char **why) {
    packed_value v;
    for (int col = first + 1; col <= first + ncols; col++) {
        if (read_value(pp, end, &v, why) < 0) return -1;
        int rc = v.tag == PACK_NULL  ? sqlite3_bind_null(stmt, col)
                 : v.tag == PACK_INT ? sqlite3_bind_int64(stmt, col, v.num)
                                     : sqlite3_bind_text(stmt, col, v.text, (int)v.len, SQLITE_STATIC);
        if (rc != SQLITE_OK) return -2;
    }
    return 0;
}

/* Whether n whole rows follow p. */
static int rows_follow(const char *p, const char *end, int ncols, int n) {
    packed_value v;
    const char *why;
    for (int i = 0; i < n * ncols; i++)
        if (read_value(&p, end, &v, &why) < 0) return 0;
    return 1;
}

/* Bind and step every row of a batch; the interpreter lock is not held.
 * ``many`` takes ``per`` rows a step (one VDBE program run, its cursors
 * opened once, for many rows); ``one`` takes the rest.  Returns rows
 * written; -1 with *why set (a malformed batch), or -2 on a SQLite error,
 * with *failed the statement, not yet reset, so its message stands. */
static Py_ssize_t insert_batch(sqlite3_stmt *many, int per, sqlite3_stmt *one, int ncols, const char *p, const char *end,
                               const char **why, sqlite3_stmt **failed) {
    Py_ssize_t rows = 0;
    while (p < end) {
        sqlite3_stmt *stmt = one;
        int n = 1;
        if (per > 1 && rows_follow(p, end, ncols, per)) {
            stmt = many;
            n = per;
        }
        *failed = stmt;
        for (int r = 0; r < n; r++) {
            int rc = bind_row(stmt, r * ncols, ncols, &p, end, why);
            if (rc < 0) return rc;
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) return -2;
        sqlite3_reset(stmt);
        rows += n;
    }
    return rows;
}

static PyObject *stage_insert(Stage *self, PyObject *args) {
    int index, ncols, index_one = -1;
    Py_buffer batch;
    if (!PyArg_ParseTuple(args, "iiy*|i", &index, &ncols, &batch, &index_one)) return NULL;
    if (index_one < 0) index_one = index;
    if (!stage_open(self) || index < 0 || index >= self->nstmts || index_one < 0 || index_one >= self->nstmts || ncols <= 0 ||
        ncols != sqlite3_bind_parameter_count(self->stmts[index_one]) ||
        sqlite3_bind_parameter_count(self->stmts[index]) % ncols != 0) {
        PyBuffer_Release(&batch);
        if (!PyErr_Occurred()) PyErr_SetString(StageError, "no such statement, or not that many columns");
        return NULL;
    }
    sqlite3_stmt *many = self->stmts[index], *one = self->stmts[index_one], *failed = one;
    int per = sqlite3_bind_parameter_count(many) / ncols;
    const char *why = NULL;
    Py_ssize_t rows;
    /* The batch is a buffer we hold (a bytearray cannot be resized while it
     * is held), so it stays put while the lock is released. */
    Py_BEGIN_ALLOW_THREADS
    rows = insert_batch(many, per, one, ncols, batch.buf, (const char *)batch.buf + batch.len, &why, &failed);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&batch);
    if (rows < 0) {
        if (why) PyErr_SetString(StageError, why);
        else stage_fail(self, "writing the batch failed");
        sqlite3_reset(failed);
        sqlite3_clear_bindings(failed);
        return NULL;
    }
    return PyLong_FromSsize_t(rows);
}

static PyObject *stage_close(Stage *self, PyObject *unused) {
    stage_release(self);
    Py_RETURN_NONE;
}

static PyMethodDef stage_methods[] = {
    {"execute", (PyCFunction)stage_execute, METH_VARARGS, "Run one statement with :name parameters; (rows, rows changed or -1)."},
    {"prepare", (PyCFunction)stage_prepare, METH_VARARGS, "Prepare an INSERT; returns its handle."},
    {"insert", (PyCFunction)stage_insert, METH_VARARGS, "Write a packed batch with a prepared INSERT; returns its row count."},
    {"close", (PyCFunction)stage_close, METH_NOARGS, "Close the connection (uncommitted work is lost)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StageType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ekonomi.core.engine._stage.Stage",
    .tp_basicsize = sizeof(Stage),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Stage(path): a SQLite connection of its own that binds packed batches.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)stage_init,
    .tp_dealloc = (destructor)stage_dealloc,
    .tp_methods = stage_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stage", "A SQLite connection that binds packed batches.", -1, NULL};

PyMODINIT_FUNC PyInit__stage(void) {
    if (PyType_Ready(&StageType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    StageError = PyErr_NewException("ekonomi.core.engine._stage.StageError", PyExc_RuntimeError, NULL);
    if (!StageError || PyModule_AddObjectRef(m, "StageError", StageError) < 0 ||
        PyModule_AddObjectRef(m, "Stage", (PyObject *)&StageType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
