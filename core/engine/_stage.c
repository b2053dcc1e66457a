/* The staging file of a SQLite import, written in C from packed batches.
 *
 * core/stagewriter.py explains the staging file.  Binding millions of rows
 * through Python's sqlite3 module costs about 2.4 µs a row, all of it under
 * the interpreter lock; here a writer thread binds a packed batch
 * (core/engine/_pack.h) with the lock released, so the main thread goes on reading
 * the input on the other core.
 *
 *   Stage(path)               open (create) the file, on a connection of its own
 *   .execute(sql)             run statements (schema, BEGIN, COMMIT)
 *   .prepare(sql) -> int      an INSERT with ncols parameters, kept open
 *   .insert(stmt, ncols, batch[, stmt_one]) -> rows written
 *                             stmt may take several rows a step (its
 *                             parameters a multiple of ncols); the rest
 *                             of the batch then goes through stmt_one
 *   .close()
 *   .filename() -> str         the main database's path
 *   borrow(connection, module_file) -> Stage   on the handle of a Python
 *                             sqlite3.Connection (see stage_borrow)
 *
 * The batches are packed by core/engine/_rows.c (pack_row, VoucherPacker).
 *
 * A Stage is used by one thread at a time (the caller makes sure: the writer
 * thread inserts, the owner executes only after it has synced), so its
 * connection takes no mutex: a lock and an unlock per bound value were 5 %
 * of an import's time.
 */

#include "_pack.h"
#include <dlfcn.h>
#include <sqlite3.h>

#define MAX_STMTS 16

static PyObject *StageError;

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    sqlite3_stmt *stmts[MAX_STMTS];
    int nstmts;
    int borrowed;
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
    if (self->db && !self->borrowed) sqlite3_close(self->db);
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

/* Bind one row's values from *pp, as parameters first+1 .. first+ncols.
 * Returns 0; -1 with *why set (a malformed batch); -2 on a SQLite error. */
static int bind_row(sqlite3_stmt *stmt, int first, int ncols, const char **pp, const char *end, const char **why) {
    const char *p = *pp;
    for (int col = first + 1; col <= first + ncols; col++) {
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
    *pp = p;
    return 0;
}

/* Where the n-th row from p starts (n rows must be whole), or NULL. */
static const char *skip_rows(const char *p, const char *end, int ncols, int n) {
    for (int i = 0; i < n * ncols; i++) {
        if (p >= end) return NULL;
        char tag = *p++;
        if (tag == PACK_INT) p += 8;
        else if (tag == PACK_TEXT) {
            uint32_t len;
            if (end - p < 4) return NULL;
            memcpy(&len, p, 4);
            p += 4 + len;
        }
        if (p > end) return NULL;
    }
    return p;
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
        if (per > 1 && skip_rows(p, end, ncols, per) != NULL) {
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
        else stage_fail(self, "writing the staging file failed");
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

static PyObject *stage_filename(Stage *self, PyObject *unused) {
    if (!stage_open(self)) return NULL;
    const char *name = sqlite3_db_filename(self->db, "main");
    return PyUnicode_DecodeFSDefault(name ? name : "");
}

static PyMethodDef stage_methods[] = {
    {"execute", (PyCFunction)stage_execute, METH_VARARGS, "Run SQL statements."},
    {"prepare", (PyCFunction)stage_prepare, METH_VARARGS, "Prepare an INSERT; returns its handle."},
    {"insert", (PyCFunction)stage_insert, METH_VARARGS, "Write a packed batch with a prepared INSERT; returns its row count."},
    {"close", (PyCFunction)stage_close, METH_NOARGS, "Close the file (uncommitted work is lost); a borrowed connection stays open."},
    {"filename", (PyCFunction)stage_filename, METH_NOARGS, "The path of the connection's main database."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StageType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ekonomi.core.engine._stage.Stage",
    .tp_basicsize = sizeof(Stage),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A staging file, on a SQLite connection of its own.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)stage_init,
    .tp_dealloc = (destructor)stage_dealloc,
    .tp_methods = stage_methods,
};

/* The first field of Python's sqlite3.Connection (Modules/_sqlite/connection.h,
 * the same from 3.8 to 3.14): the connection's SQLite handle. */
typedef struct {
    PyObject_HEAD
    sqlite3 *db;
} PySqliteConnectionHead;

/* borrow(connection, module_file) -> Stage on the handle of a Python
 * sqlite3.Connection, to write inside that connection's transaction
 * (target.SqliteDirectTarget).  Python has no API for the handle, so this
 * reads the object's first field, and only where that is known to be the
 * handle: an exact sqlite3.Connection, a Python whose layout is known, and
 * a sqlite3 module (module_file) that uses the very SQLite library this
 * module calls (the same function at the same address), so that one
 * library's handle is never passed to another's functions.  The handle
 * keeps its own mutex (Python opens it serialized); closing the Stage
 * finalizes its statements and leaves the connection open. */
static PyObject *stage_borrow(PyObject *mod, PyObject *args) {
    PyObject *conn;
    const char *module_file;
    if (!PyArg_ParseTuple(args, "Os", &conn, &module_file)) return NULL;
#if PY_VERSION_HEX < 0x03080000 || PY_VERSION_HEX >= 0x030F0000
    PyErr_SetString(StageError, "the layout of this Python's sqlite3.Connection is not known");
    return NULL;
#endif
    if (strcmp(Py_TYPE(conn)->tp_name, "sqlite3.Connection") != 0) {
        PyErr_Format(StageError, "not a sqlite3.Connection: %s", Py_TYPE(conn)->tp_name);
        return NULL;
    }
    void *lib = dlopen(module_file, RTLD_LAZY | RTLD_NOLOAD);
    void *theirs = lib ? dlsym(lib, "sqlite3_libversion") : NULL;
    if (lib) dlclose(lib);
    if (theirs == NULL || theirs != (void *)&sqlite3_libversion) {
        PyErr_SetString(StageError, "Python's sqlite3 module does not use the SQLite library this module uses");
        return NULL;
    }
    sqlite3 *db = ((PySqliteConnectionHead *)conn)->db;
    if (db == NULL) {
        PyErr_SetString(StageError, "the connection is closed");
        return NULL;
    }
    Stage *st = (Stage *)PyType_GenericNew(&StageType, NULL, NULL);
    if (!st) return NULL;
    st->db = db;
    st->borrowed = 1;
    return (PyObject *)st;
}

static PyMethodDef methods[] = {
    {"borrow", (PyCFunction)stage_borrow, METH_VARARGS, "A Stage on the handle of a Python sqlite3.Connection (which stays open)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stage", "The staging file of a SQLite import, written from packed batches.", -1, methods};

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
