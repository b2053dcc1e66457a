/* The staging file of a SQLite import, written in C from packed batches.
 *
 * core/stagewriter.py explains the staging file.  Binding millions of rows
 * through Python's sqlite3 module costs about 2.4 µs a row, all of it under
 * the interpreter lock; here a writer thread binds a packed batch
 * (core/_pack.h) with the lock released, so the main thread goes on reading
 * the input on the other core.
 *
 *   Stage(path)               open (create) the file, on a connection of its own
 *   .execute(sql)             run statements (schema, BEGIN, COMMIT)
 *   .prepare(sql) -> int      an INSERT with ncols parameters, kept open
 *   .insert(stmt, ncols, batch) -> rows written
 *   .close()
 *
 * The batches are packed by core/_rows.c (pack_row, VoucherPacker).
 *
 * A Stage is used by one thread at a time (the caller makes sure: the writer
 * thread inserts, the owner executes only after it has synced), so its
 * connection takes no mutex: a lock and an unlock per bound value were 5 %
 * of an import's time.
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
    PyErr_Format(StageError, "%s: %s", what, self->db ? sqlite3_errmsg(self->db) : "the staging file is closed");
    return NULL;
}

static int stage_open(Stage *self) {
    if (!self->db) {
        PyErr_SetString(StageError, "the staging file is closed");
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
        stage_fail(self, "cannot open the staging file");
        stage_release(self);
        return -1;
    }
    return 0;
}

static void stage_dealloc(Stage *self) {
    stage_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *stage_execute(Stage *self, PyObject *args) {
    const char *sql;
    if (!PyArg_ParseTuple(args, "s", &sql) || !stage_open(self)) return NULL;
    char *err = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = sqlite3_exec(self->db, sql, NULL, NULL, &err);
    Py_END_ALLOW_THREADS
    if (rc != SQLITE_OK) {
        PyErr_Format(StageError, "%s", err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return NULL;
    }
    Py_RETURN_NONE;
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

/* Bind and step every row of a batch; the interpreter lock is not held.
 * Returns rows written; -1 with *why set (a malformed batch), or -2 on a
 * SQLite error, with the statement not yet reset so its message stands. */
static Py_ssize_t insert_batch(sqlite3_stmt *stmt, int ncols, const char *p, const char *end, const char **why) {
    Py_ssize_t rows = 0;
    while (p < end) {
        for (int col = 1; col <= ncols; col++) {
            if (p >= end) {
                *why = "a packed batch ends inside a row";
                return -1;
            }
            char tag = *p++;
            int rc;
            if (tag == PACK_NULL) {
                rc = sqlite3_bind_null(stmt, col);
            } else if (tag == PACK_INT) {
                int64_t num;
                if (end - p < 8) {
                    *why = "a packed batch ends inside a number";
                    return -1;
                }
                memcpy(&num, p, 8);
                p += 8;
                rc = sqlite3_bind_int64(stmt, col, num);
            } else if (tag == PACK_TEXT) {
                uint32_t len;
                if (end - p < 4) {
                    *why = "a packed batch ends inside a text";
                    return -1;
                }
                memcpy(&len, p, 4);
                p += 4;
                if ((size_t)(end - p) < len) {
                    *why = "a packed batch ends inside a text";
                    return -1;
                }
                rc = sqlite3_bind_text(stmt, col, p, (int)len, SQLITE_STATIC);
                p += len;
            } else {
                *why = "a packed batch holds an unknown value tag";
                return -1;
            }
            if (rc != SQLITE_OK) return -2;
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) return -2;
        sqlite3_reset(stmt);
        rows++;
    }
    return rows;
}

static PyObject *stage_insert(Stage *self, PyObject *args) {
    int index, ncols;
    Py_buffer batch;
    if (!PyArg_ParseTuple(args, "iiy*", &index, &ncols, &batch)) return NULL;
    if (!stage_open(self) || index < 0 || index >= self->nstmts || ncols != sqlite3_bind_parameter_count(self->stmts[index])) {
        PyBuffer_Release(&batch);
        if (!PyErr_Occurred()) PyErr_SetString(StageError, "no such statement, or not that many columns");
        return NULL;
    }
    sqlite3_stmt *stmt = self->stmts[index];
    const char *why = NULL;
    Py_ssize_t rows;
    /* The batch is a buffer we hold (a bytearray cannot be resized while it
     * is held), so it stays put while the lock is released. */
    Py_BEGIN_ALLOW_THREADS
    rows = insert_batch(stmt, ncols, batch.buf, (const char *)batch.buf + batch.len, &why);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&batch);
    if (rows < 0) {
        if (why) PyErr_SetString(StageError, why);
        else stage_fail(self, "writing the staging file failed");
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return NULL;
    }
    return PyLong_FromSsize_t(rows);
}

static PyObject *stage_close(Stage *self, PyObject *unused) {
    stage_release(self);
    Py_RETURN_NONE;
}

static PyMethodDef stage_methods[] = {
    {"execute", (PyCFunction)stage_execute, METH_VARARGS, "Run SQL statements."},
    {"prepare", (PyCFunction)stage_prepare, METH_VARARGS, "Prepare an INSERT; returns its handle."},
    {"insert", (PyCFunction)stage_insert, METH_VARARGS, "Write a packed batch with a prepared INSERT; returns its row count."},
    {"close", (PyCFunction)stage_close, METH_NOARGS, "Close the file (uncommitted work is lost)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StageType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ekonomi.core._stage.Stage",
    .tp_basicsize = sizeof(Stage),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A staging file, on a SQLite connection of its own.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)stage_init,
    .tp_dealloc = (destructor)stage_dealloc,
    .tp_methods = stage_methods,
};

static PyMethodDef methods[] = {
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stage", "The staging file of a SQLite import, written from packed batches.", -1, methods};

PyMODINIT_FUNC PyInit__stage(void) {
    if (PyType_Ready(&StageType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    StageError = PyErr_NewException("ekonomi.core._stage.StageError", PyExc_RuntimeError, NULL);
    if (!StageError || PyModule_AddObjectRef(m, "StageError", StageError) < 0 ||
        PyModule_AddObjectRef(m, "Stage", (PyObject *)&StageType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
