"""The compiled backend: build the generated C kernel with the system compiler, cache it, run it.

At first use of a (model, recorded variables, inputs, method) the kernel source
from `cgen` is compiled with `gcc -O3 -march=native` (vector maths from glibc's
libmvec) into the user cache directory, named by the SHA-256 of the source, the
flags, the compiler, the CPU and this version. Beside it a stamp records the
library's SHA-256, signed with a secret private to the cache folder; before
every load the file's digest is checked against what this process built or
against that signed record, and the library is loaded through the descriptor
that was checked, so a truncated, altered or swapped file is rebuilt, never run.
A cache folder that cannot be used means a build in a private temporary folder
(with a one-line `KernelCacheNote`), not an error. Nothing is downloaded and no
Python package is needed beyond NumPy: the library is loaded with ctypes.

Runs are cut into pieces of whole blocks that threads take in turn (ctypes
releases the GIL during the call), so the result of a run does not depend on the
thread count, and a piece takes milliseconds: Ctrl-C is answered after the
pieces in flight end, and KeyboardInterrupt is raised only once no thread
writes into the caller's arrays any more. Threads, not OpenMP: no OpenMP runtime is loaded into the
Python process, which keeps forked workers (multiprocessing, Dask) safe.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import platform
import secrets
import shutil
import stat
import subprocess
import tempfile
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, wait
from functools import lru_cache
from pathlib import Path

import numpy as np

from regionsoft_sd.batch.builtins import Series
from regionsoft_sd.batch.cgen import LANES, CKernel
from regionsoft_sd.common import resources

FLAGS = (
    "-O3",
    "-march=native",
    "-fno-math-errno",  # libm calls without errno: vectorisable, same values
    "-fno-trapping-math",  # FP exception flags are never read: branches may be if-converted
    "-ffp-contract=off",  # no fused multiply-add: the arithmetic NumPy does
    "-fopenmp-simd",  # `#pragma omp simd` only; no OpenMP runtime
    "-fPIC",
    "-shared",
)
ENV_CACHE = resources.CACHE_ENV[0]
"""The variable that moves the cache folder (kernels go to its `kernels` subfolder)."""
ENV_THREADS = "REGIONSOFT_SD_THREADS"
ENV_CC = "CC"

_lock = threading.Lock()
_loaded: dict[str, ctypes._CFuncPtr] = {}
_built: dict[str, str] = {}  # library path -> SHA-256 of what this process built there
_warned: set[str] = set()
_pool: ThreadPoolExecutor | None = None


class KernelCacheNote(RuntimeWarning):
    """The kernel cache folder cannot be used: the kernel is built for this process only."""


class CompilerUnavailable(RuntimeError):
    """No C compiler, or the kernel did not build: the NumPy engine must run instead."""


def compiler() -> str | None:
    """Path of the C compiler to use ($CC, else gcc, else cc), or None when there is none."""
    for name in (os.environ.get(ENV_CC), "gcc", "cc"):
        if name and (path := shutil.which(name)):
            return path
    return None


def cache_dir() -> Path:
    """Where built kernels live: the `kernels` folder of the package's one cache folder.

    `resources.cache_root()` reads $REGIONSOFT_SD_CACHE (or its alias
    $REGIONSOFT_CACHE), else the user cache folder, so translations and kernels
    move together with one variable.
    """
    return resources.cache_root() / "kernels"


def threads() -> int:
    """Threads per batch: $REGIONSOFT_SD_THREADS, else the CPUs this process may use."""
    if os.environ.get(ENV_THREADS):
        return max(1, int(os.environ[ENV_THREADS]))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def _toolchain_id(cc: str) -> str:
    """Compiler version and CPU: a kernel built for another machine is not reused."""
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    cpu = platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        cpu += "|" + next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    except OSError:
        cpu += "|" + platform.processor()
    return (version.splitlines()[0] if version else cc) + "|" + cpu  # both, always


def _key(source: str, cc: str) -> str:
    """Cache name of the library for `source`: the source, flags, toolchain, this version."""
    from regionsoft_sd import __version__

    parts = [source, " ".join(FLAGS), _toolchain_id(cc), cc, __version__]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def _cache_key(folder: Path) -> bytes:
    """The secret that signs this cache folder's stamps (created at first use, mode 0600).

    A stamp binds a library's name to its SHA-256 under this secret, so a library
    swapped in with its own stamp (another kernel's pair, or one copied from
    elsewhere) does not verify. Raises OSError when the secret is not a private
    regular file of this user: the folder is then not used.
    """
    path = folder / ".key"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        tmp = folder / f".key-{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # never replaces a secret another process just made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        data = f.read(128)
    owner = getattr(os, "geteuid", lambda: st.st_uid)()
    if not stat.S_ISREG(st.st_mode) or st.st_uid != owner or st.st_mode & 0o077 or len(data) != 64:
        raise PermissionError(f"{path} is not a private file of this user")
    return data


def _stamp_text(secret: bytes, name: str, digest: str) -> str:
    mac = hmac.new(secret, f"{name}\0{digest}".encode(), hashlib.sha256).hexdigest()
    return f"{name} {digest} {mac}\n"


def _recorded(lib: Path, stamp: Path) -> str | None:
    """The digest `lib` must have: what this process built there, else its checked stamp."""
    if str(lib) in _built:
        return _built[str(lib)]
    try:
        name, digest, mac = stamp.read_text(encoding="ascii").split()
        secret = _cache_key(lib.parent)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    good = _stamp_text(secret, lib.name, digest).split()[2]
    return digest if name == lib.name and hmac.compare_digest(mac, good) else None


def _open_verified(lib: Path, expected: str | None) -> int | None:
    """An open descriptor of `lib` when it is a regular file whose SHA-256 is `expected`.

    Loading goes through this descriptor (see `_dlopen`), so the bytes checked are
    the bytes run, even if the file is replaced in between.
    """
    if expected is None:
        return None
    try:
        fd = os.open(lib, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            h = hashlib.sha256()
            while block := os.read(fd, 1 << 20):
                h.update(block)
            if hmac.compare_digest(h.hexdigest(), expected):
                return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _compile(source: str, cc: str, folder: Path) -> Path:
    """Compile `source` in `folder` (a private build folder); the library's path."""
    src, out = folder / "kernel.c", folder / "kernel.so"
    src.write_text(source, encoding="utf-8")
    errors = ""
    for extra, libs in (([], ["-lmvec", "-lm"]), (["-DRS_NO_MVEC"], ["-lm"])):
        proc = subprocess.run(
            [cc, *FLAGS, *extra, str(src), "-o", str(out), *libs],
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            return out
        errors = proc.stderr
    first = next((ln for ln in errors.splitlines() if "error" in ln), errors[:200])
    raise CompilerUnavailable(f"the C kernel did not build: {first.strip()}")


def _compiler() -> str:
    cc = compiler()
    if cc is None:
        raise CompilerUnavailable("no C compiler found (set CC, or install gcc)")
    return cc


def build(source: str) -> Path:
    """The cached shared library for `source`, verified, or freshly compiled (atomically).

    A library is reused only when its SHA-256 is the one this process recorded
    when it built it, or the one in its stamp, a record signed with the cache
    folder's secret (`_cache_key`). Anything else (truncated, altered, swapped,
    a link) is rebuilt. Raises `CompilerUnavailable`, or OSError when the cache
    folder cannot be used.
    """
    cc = _compiler()
    key = _key(source, cc)
    folder = cache_dir()
    lib, stamp = folder / f"rs_{key}.so", folder / f"rs_{key}.sha256"
    fd = _open_verified(lib, _recorded(lib, stamp))
    if fd is not None:
        os.close(fd)
        return lib
    folder.mkdir(parents=True, exist_ok=True)
    secret = _cache_key(folder)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
        out = _compile(source, cc, Path(tmp))
        digest = hashlib.sha256(out.read_bytes()).hexdigest()
        tmp_stamp = Path(tmp) / "stamp"
        tmp_stamp.write_text(_stamp_text(secret, lib.name, digest), encoding="ascii")
        os.replace(out, lib)  # atomic; a concurrent build ends with its own matching pair
        os.replace(tmp_stamp, stamp)
    _built[str(lib)] = digest
    return lib


def _dlopen(path: Path, fd: int) -> ctypes.CDLL:
    """Load the library open at `fd` (Linux: by descriptor, the very bytes verified).

    The descriptor stays open for the life of the process: the dynamic loader
    knows a library by the name it was opened under, and a closed descriptor's
    number, reused for another kernel, would make it return the old library.
    """
    proc = f"/proc/self/fd/{fd}"
    if not os.path.exists(proc):
        os.close(fd)
        return ctypes.CDLL(str(path))
    try:
        return ctypes.CDLL(proc)
    except OSError:
        os.close(fd)
        raise


def _private_build(source: str, reason: OSError) -> ctypes.CDLL:
    """Build and load `source` in a private temporary folder, for this process only."""
    folder = cache_dir()
    why = reason.strerror or str(reason) or type(reason).__name__
    if str(folder) not in _warned:
        _warned.add(str(folder))
        warnings.warn(
            f"regionsoft-sd: the kernel cache folder {folder} cannot be used ({why}); "
            f"the C kernel is built for this process only (set {ENV_CACHE} to a writable folder)",
            KernelCacheNote,
            5,
        )
    try:
        with tempfile.TemporaryDirectory(prefix="regionsoft-kernel-") as tmp:
            out = _compile(source, _compiler(), Path(tmp))
            fd = os.open(out, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            return _dlopen(out, fd)
    except OSError as err:
        raise CompilerUnavailable(
            f"the kernel cache folder {folder} cannot be used ({why}), "
            f"nor a temporary folder ({err.strerror or type(err).__name__})"
        ) from None


def _library(source: str) -> ctypes.CDLL:
    """The verified library for `source`: from the cache, rebuilt, or built privately."""
    try:
        for _ in range(3):  # a concurrent rebuild may replace the file between build and open
            lib = build(source)
            stamp = lib.with_suffix(".sha256")
            fd = _open_verified(lib, _recorded(lib, stamp))
            if fd is not None:
                return _dlopen(lib, fd)
            _built.pop(str(lib), None)
        raise OSError(f"{lib} keeps changing while it is loaded")
    except OSError as err:
        return _private_build(source, err)


def load(source: str):
    """The `rs_run` function of the kernel built from `source` (loaded once per process)."""
    with _lock:
        if source not in _loaded:
            fn = _library(source).rs_run
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.c_long] * 3 + [ctypes.c_void_p] * 9
            _loaded[source] = fn
        return _loaded[source]


def eval_times(steps: np.ndarray, dt: float, method: str) -> np.ndarray:
    """Times at which the kernel evaluates the model: each step (Euler), or per step
    t, t + dt/2 and t + dt (RK4), computed as the NumPy engine computes them."""
    if method != "rk4":
        return np.ascontiguousarray(steps, dtype=float)
    h = dt / 2
    return np.ascontiguousarray(np.column_stack([steps, steps + h, steps + dt]).reshape(-1))


def series_values(series: Series, times: np.ndarray, n: int) -> tuple[np.ndarray, int, int]:
    """A series at `times` as (values, time stride, run stride) for the kernel.

    The same arithmetic as `Series.__call__`: np.interp for a shared series, the
    clamped linear formula column by column for one series per run.
    """
    if series.values.ndim == 1:
        return np.interp(times, series.times, series.values), 1, 0
    xs, fp = series.times, series.values
    j = np.clip(np.searchsorted(xs, times, side="right") - 1, 0, len(xs) - 2)
    if len(xs) == 1:
        out = np.repeat(fp[:1], len(times), axis=0)
    else:
        x0, x1 = xs[j][:, None], xs[j + 1][:, None]
        slope = (fp[j + 1] - fp[j]) / (x1 - x0)
        out = slope * (times[:, None] - x0) + fp[j]
        out = np.where(times[:, None] <= xs[0], fp[0], out)
        out = np.where(times[:, None] >= xs[-1], fp[-1], out)
    return np.ascontiguousarray(out), n, 1


def _inputs(kernel: CKernel, values: dict, n: int) -> tuple[list, np.ndarray, np.ndarray]:
    """Parameter pointers and run strides for the kernel, and the arrays they point into.

    A scalar parameter (or a length-1 batch) is one element of a shared array
    with run stride 0; a per-run array is passed as it is (made contiguous).
    The returned list keeps every pointed-to array alive for the call.
    """
    count = max(len(kernel.params), 1)
    scalars: list[float] = []
    vec_at: list[int] = []
    vec: list[np.ndarray] = []
    for i, key in enumerate(kernel.params):
        v = values[key]
        if isinstance(v, np.ndarray):
            if n > 1 and v.ndim == 1 and v.shape[0] == n:
                vec_at.append(i)
                vec.append(np.ascontiguousarray(v, dtype=np.float64))
                v = 0.0
            else:
                v = v.item() if v.size == 1 else v.reshape(-1)[0]
        scalars.append(v)
    flat = np.array(scalars or [0.0], dtype=np.float64)
    ptrs = flat.ctypes.data + 8 * np.arange(count, dtype=np.uintp)
    strides = np.zeros(count, dtype=np.int64)
    if vec:
        ptrs[vec_at] = [a.ctypes.data for a in vec]
        strides[vec_at] = 1
    return [flat, *vec], ptrs, strides


def run(
    kernel: CKernel,
    fn,
    values: dict,
    n: int,
    evt: np.ndarray,
    save_row: np.ndarray,
    out: list[np.ndarray],
) -> int:
    """Integrate `n` runs into `out` (float64 arrays (rows, n), any row stride).

    `values` maps every parameter and series key of the kernel to its value for
    these runs (an array (n,) or a scalar; a `Series`). Returns the kernel's error
    code: 0, or a check that failed (the NumPy engine then reports it).

    A KeyboardInterrupt (Ctrl-C) is raised only once no thread runs the kernel any
    more (see `_launch`): the arrays it writes into are never freed under it.
    """
    keep, par, par_rs = _inputs(kernel, values, n)
    ser, ser_es, ser_rs = [], [], []
    for key in kernel.series:
        vals, es, rs = series_values(values[key], evt, n)
        ser.append(np.ascontiguousarray(vals, dtype=np.float64))
        ser_es.append(es)
        ser_rs.append(rs)
    for buf in out:
        if buf.dtype != np.float64 or buf.strides[1] != 8:
            raise ValueError("kernel output must be float64 with contiguous runs")
    evt = np.ascontiguousarray(evt, dtype=np.float64)
    save_row = np.ascontiguousarray(save_row, dtype=np.int64)
    out_ptr = np.array([b.ctypes.data for b in out] or [0], dtype=np.uintp)
    out_rs = np.array([b.strides[0] // 8 for b in out] or [0], dtype=np.int64)
    ser_ptr = np.array([a.ctypes.data for a in ser] or [0], dtype=np.uintp)
    ser_es_a = np.array(ser_es or [0], dtype=np.int64)
    ser_rs_a = np.array(ser_rs or [0], dtype=np.int64)
    arrays = (par, par_rs, ser_ptr, ser_es_a, ser_rs_a, evt, save_row, out_ptr, out_rs)
    args = tuple(a.ctypes.data for a in arrays)
    # everything the kernel reads or writes stays referenced here until _launch returns
    alive = (keep, ser, out, arrays)
    code = _launch(fn, len(save_row), args, _split(n, PIECE), threads())
    del alive
    return code


PIECE = 32 * LANES  # runs per kernel call: a few milliseconds, so Ctrl-C is answered fast


def _launch(fn, nsteps: int, args: tuple, pieces: list[tuple[int, int]], workers: int) -> int:
    """Run the kernel over `pieces` (run ranges) on up to `workers` threads; first error code.

    Pieces are whole blocks, so which thread runs which piece cannot change a
    result. Each kernel call holds the thread until it returns (ctypes cannot
    stop it), so Ctrl-C is handled between calls: on one thread Python raises
    KeyboardInterrupt after the current piece; on several, the main thread sets
    `stop`, waits until every worker has finished its piece (a second Ctrl-C
    does not cut that wait short) and then re-raises. Without that wait the
    caller would free the output arrays while workers still write into them,
    which is what made an interrupted sweep die with a segmentation fault.
    """
    workers = min(workers, len(pieces))
    if workers <= 1:
        for a, b in pieces:
            code = fn(a, b, nsteps, *args)
            if code:
                return code
        return 0
    stop = threading.Event()
    todo = iter(pieces)
    take = threading.Lock()
    codes: list[int] = []

    def work() -> None:
        while not stop.is_set():
            with take:
                piece = next(todo, None)
            if piece is None:
                return
            code = fn(piece[0], piece[1], nsteps, *args)
            if code:
                codes.append(code)
                stop.set()

    futures = []
    try:
        pool = _workers(workers)
        for _ in range(workers):
            futures.append(pool.submit(work))
        for future in futures:
            future.result()
    except BaseException:
        stop.set()
        _wait_all(futures)
        raise
    return codes[0] if codes else 0


def _wait_all(futures: list) -> None:
    """Wait for every future, whatever signals arrive meanwhile."""
    while True:
        try:
            wait(futures)
            return
        except KeyboardInterrupt:
            continue


def _workers(count: int) -> ThreadPoolExecutor:
    """The process's kernel thread pool, with at least `count` threads."""
    global _pool
    with _lock:
        if _pool is None or _pool._max_workers < count:
            _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="regionsoft-c")
        return _pool


def _split(n: int, size: int) -> list[tuple[int, int]]:
    """Contiguous ranges of at most `size` runs (a multiple of LANES) covering 0..n."""
    return [(a, min(n, a + size)) for a in range(0, n, size)]
