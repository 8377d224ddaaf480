"""torch.tensor envelopes (spec/src/torch-tensor.md), clause by clause.

torch is optional: every test here but the few marked for torch runs without
it (the decoder, the canonical value and the encoder of Tensor records never
import torch); test_works_without_torch proves it in a process where
``import torch`` fails.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import code, err, raises, text, value, without

import sciwire_py as sw
from sciwire_py import tensor

NESTED = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": [1.5, -2.0], "shape": [2],
          "dtype": "float32"}
# the page's example
T = {"__tywrap__": "torch.tensor", "codecVersion": 1, "encoding": "ndarray", "shape": [2],
     "dtype": "torch.float32", "device": "cpu", "value": NESTED}
CANON = {"kind": "tensor", "dtype": "torch.float32",
         "array": {"kind": "ndarray", "dtype": "float32", "shape": [2], "hex": "0000c03f000000c0"}}


def nested(**kw):
    return dict(NESTED, **kw)


def arrow_nested(arr):
    return json.loads(sw.dumps(arr, "arrow"))


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setattr(tensor, "torch_module", lambda: None)


# --- the examples ----------------------------------------------------------------------

def test_page_example_and_canonical_example():
    assert value(T) == CANON


def test_loads_without_torch_gives_a_record(no_torch):
    t = sw.loads(text(T))
    assert isinstance(t, sw.Tensor) and t.dtype == "torch.float32"
    assert t.array.dtype == np.float32 and t.array.tolist() == [1.5, -2.0]
    assert t.source_dtype is None and t.source_device is None


def test_loads_with_torch_gives_a_tensor():
    torch = pytest.importorskip("torch")
    t = sw.loads(text(T))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32 and t.tolist() == [1.5, -2.0]


def test_nested_arrow():
    arr = np.arange(6, dtype=np.int64).reshape(2, 3)
    env = dict(T, dtype="torch.int64", shape=[2, 3], value=arrow_nested(arr))
    v = value(env)
    assert v == {"kind": "tensor", "dtype": "torch.int64", "array": sw.to_canonical(arr)}


def test_a_tensor_and_its_array_are_different_values():
    assert value(T) != value(NESTED)


# --- [torch.encodings] -----------------------------------------------------------------

@pytest.mark.parametrize("enc", ["json", "arrow", "torch", "NDARRAY"])
def test_encoding_is_ndarray(enc):
    assert code(dict(T, encoding=enc)) == "E_ENCODING_UNSUPPORTED"


# --- [torch.required], [torch.legacy-v0] -------------------------------------------------------

@pytest.mark.parametrize("name", ["value", "shape", "dtype", "device"])
def test_required_v1(name):
    e = err(without(T, name))
    assert e.code == "E_MISSING_FIELD" and e.path == "/" + name and e.clause == "torch.required"


def test_required_order():
    assert err(without(T, "device", "value")).path == "/value"
    assert err(without(T, "dtype", "shape")).path == "/shape"
    assert err(without(T, "device", "dtype")).path == "/dtype"


def test_legacy_v0():
    v0 = without(T, "codecVersion", "shape", "device")
    assert value(v0) == CANON                                    # shape from the nested array, device cpu
    assert value(without(T, "codecVersion")) == CANON
    for name in ("value", "dtype"):
        e = err(without(v0, name))
        assert e.code == "E_MISSING_FIELD" and e.clause == "torch.legacy-v0"
    # v0 may hold a v0 ndarray (here without shape, which the nested page allows)
    assert value(dict(v0, value=without(NESTED, "codecVersion", "shape"))) == CANON
    # every other rule applies unchanged
    assert code(dict(v0, device="cuda:0")) == "E_DEVICE_UNSUPPORTED"
    assert code(dict(v0, dtype="torch.float64")) == "E_DTYPE_MISMATCH"


# --- [torch.dtype.table] ----------------------------------------------------------------------

@pytest.mark.parametrize("torch_dtype,np_dtype", sorted(tensor.TORCH_DTYPES.items()))
def test_dtype_table(torch_dtype, np_dtype):
    arr = np.zeros((2, 2), dtype=np_dtype)
    for enc in ("arrow", "json"):
        env = dict(T, dtype=torch_dtype, shape=[2, 2], value=json.loads(sw.dumps(arr, enc)))
        assert value(env) == {"kind": "tensor", "dtype": torch_dtype, "array": sw.to_canonical(arr)}


def test_dtype_rejected():
    assert code(dict(T, dtype=5)) == "E_FIELD_TYPE"
    assert code(dict(T, dtype=None)) == "E_FIELD_TYPE"
    for d in ("float32", "torch.float", "torch.half", "torch.long", "torch.double", "torch.int", "torch.bfloat16",
              "torch.complex64", "torch.complex128", "torch.float8_e4m3fn", "torch.float8_e5m2", "torch.qint8",
              "torch.quint8", "torch.Float32", "torch.float32 ", ""):
        e = err(dict(T, dtype=d))
        assert e.code == "E_DTYPE_UNSUPPORTED" and e.path == "/dtype", d


# --- [torch.source-dtype], [torch.bfloat16] ------------------------------------------------------

BF16 = dict(T, sourceDtype="torch.bfloat16", value=nested(data=[1.5, -2.0]))


def test_bfloat16_sourced():
    v = value(BF16)
    assert v == dict(CANON, sourceDtype="torch.bfloat16")
    torch = tensor.torch_module()
    if torch is not None:
        assert sw.loads(text(BF16)).dtype == torch.bfloat16


def test_bfloat16_sourced_without_torch(no_torch):
    t = sw.loads(text(BF16))
    assert isinstance(t, sw.Tensor) and t.source_dtype == "torch.bfloat16" and t.array.dtype == np.float32


def test_source_dtype_rejected():
    assert code(dict(T, sourceDtype=1)) == "E_FIELD_TYPE"
    assert code(dict(T, sourceDtype=None)) == "E_FIELD_TYPE"
    for s in ("torch.float16", "bfloat16", "torch.float32", "torch.bfloat16 "):
        assert code(dict(T, sourceDtype=s)) == "E_DTYPE_UNSUPPORTED", s
    e = err(dict(BF16, dtype="torch.float64", value=nested(dtype="float64")))
    assert e.code == "E_DTYPE_MISMATCH" and e.clause == "torch.source-dtype"
    assert code(dict(BF16, dtype="torch.float16", value=nested(dtype="float16"))) == "E_DTYPE_MISMATCH"


def test_bfloat16_values():
    # 0.1 as float32 is 0x3dcccccd: its low 16 bits are not zero
    e = err(dict(BF16, value=nested(data=[1.5, 0.10000000149011612])))
    assert e.code == "E_VALUE_DOMAIN" and e.clause == "torch.bfloat16"
    # 0.099609375 is 0x3dcc0000, a bfloat16 value
    assert value(dict(BF16, value=nested(data=[0.099609375, -0.0])))["sourceDtype"] == "torch.bfloat16"
    # the same float32 without the claim is fine
    assert value(dict(T, value=nested(data=[1.5, 0.10000000149011612])))["dtype"] == "torch.float32"
    # NaN payloads in the low bits (arrow) are not bfloat16 values
    bad = np.array([0x7FC00001], dtype="<u4").view("<f4")
    assert code(dict(BF16, shape=[1], value=arrow_nested(bad))) == "E_VALUE_DOMAIN"
    good = np.array([0x7FC00000, 0xFF800000], dtype="<u4").view("<f4")
    assert value(dict(BF16, shape=[2], value=arrow_nested(good)))["array"]["hex"] == "0000c07f000080ff"


# --- [torch.device], [torch.source-device] ---------------------------------------------------------

def test_device():
    assert code(dict(T, device=0)) == "E_FIELD_TYPE"
    assert code(dict(T, device=None)) == "E_FIELD_TYPE"
    for d in ("cuda:0", "cuda", "mps", "meta", "CPU", "cpu:0", ""):
        e = err(dict(T, device=d))
        assert e.code == "E_DEVICE_UNSUPPORTED" and e.path == "/device", d


def test_source_device():
    v = value(dict(T, sourceDevice="cuda:0"))
    assert v == dict(CANON, sourceDevice="cuda:0")
    assert value(dict(T, sourceDevice="anything at all"))["sourceDevice"] == "anything at all"
    assert code(dict(T, sourceDevice="")) == "E_VALUE_DOMAIN"
    assert code(dict(T, sourceDevice=0)) == "E_FIELD_TYPE"
    assert code(dict(T, sourceDevice=None)) == "E_FIELD_TYPE"


def test_source_device_without_torch(no_torch):
    t = sw.loads(text(dict(T, sourceDevice="cuda:1")))
    assert t.source_device == "cuda:1"


# --- [torch.shape] ------------------------------------------------------------------------------

def test_shape():
    assert code(dict(T, shape="2")) == "E_FIELD_TYPE"
    assert code(dict(T, shape=None)) == "E_FIELD_TYPE"
    for bad in ([-1], [1.5], ["2"], [None], [True], [2**53]):
        e = err(dict(T, shape=bad))
        assert e.code == "E_SHAPE_INVALID" and e.path == "/shape/0", bad
    e = err(dict(T, shape=[1] * 65))
    assert e.code == "E_LIMIT_EXCEEDED"
    assert code(dict(T, shape=[1] * 64)) == "E_SHAPE_MISMATCH"   # within max_ndim; disagrees with [2]
    # only the nested array's shape is limited by element count
    assert code(dict(T, shape=[2**40, 2**40])) == "E_SHAPE_MISMATCH"
    assert value(dict(T, shape=[2.0]))["array"]["shape"] == [2]


# --- [torch.value] --------------------------------------------------------------------------------

def test_value_must_be_an_ndarray_envelope():
    for bad in ([1.5, -2.0], "x", 1, None, True):
        e = err(dict(T, value=bad))
        assert e.code == "E_FIELD_TYPE" and e.path == "/value", bad
    assert code(dict(T, value={})) == "E_NESTED_ENVELOPE"
    assert code(dict(T, value=without(NESTED, "__tywrap__"))) == "E_NESTED_ENVELOPE"
    assert code(dict(T, value=dict(T))) == "E_NESTED_ENVELOPE"              # a tensor in a tensor
    assert code(dict(T, value=nested(__tywrap__="scipy.sparse"))) == "E_NESTED_ENVELOPE"
    assert code(dict(T, value=nested(__tywrap__="dataframe"))) == "E_NESTED_ENVELOPE"
    assert code(dict(T, value=nested(__tywrap__=1))) == "E_NESTED_ENVELOPE"
    assert code(dict(T, value=nested(__tywrap__=None))) == "E_NESTED_ENVELOPE"


# --- [torch.nested-version] ------------------------------------------------------------------------

def test_nested_version():
    e = err(dict(T, value=without(NESTED, "codecVersion")))
    assert e.code == "E_CODEC_VERSION" and e.clause == "torch.nested-version"
    # v0 outer: either
    v0 = without(T, "codecVersion")
    assert value(dict(v0, value=without(NESTED, "codecVersion"))) == CANON
    # a nested version that is not 1 is the nested envelope's own rule
    e = err(dict(T, value=nested(codecVersion=2)))
    assert e.code == "E_CODEC_VERSION" and e.clause == "envelope.codec-version" and e.path == "/value/codecVersion"
    assert value(dict(T, value=nested(codecVersion=1.0))) == CANON


# --- [torch.nested] -----------------------------------------------------------------------------

def test_nested_errors_have_paths_under_value():
    e = err(dict(T, value=nested(shape=[-2])))
    assert e.code == "E_SHAPE_INVALID" and e.path == "/value/shape/0" and e.clause == "ndarray.shape.items"
    e = err(dict(T, value=nested(extra=1)))
    assert e.code == "E_UNKNOWN_FIELD" and e.path == "/value/extra"
    assert code(dict(T, value=nested(data=[1.5]))) == "E_SHAPE_MISMATCH"
    assert code(dict(T, value=nested(data=[1.5, 0.1]))) == "E_VALUE_DOMAIN"       # not a float32
    assert code(dict(T, value=nested(encoding="msgpack"))) == "E_ENCODING_UNSUPPORTED"
    arrow = arrow_nested(np.array([1.5, -2.0], dtype=np.float32))
    assert code(dict(T, value=dict(arrow, b64=arrow["b64"][:-4]))) in ("E_ARROW_PAYLOAD", "E_BASE64")
    assert code(dict(T, value=dict(arrow, b64=arrow["b64"] + "A"))) == "E_BASE64"
    assert code(dict(T, value=dict(arrow, dtype="int32"))) == "E_DTYPE_MISMATCH"   # the arrow column's type
    # extension members are ignored in both envelopes
    assert value(dict(T, **{"x-a": 1}, value=nested(**{"x-b": [2]}))) == CANON


def test_nested_limits():
    small = sw.Limits(max_elements=1048576)
    e = err(dict(T, shape=[2048, 1024], value=nested(shape=[2048, 1024])), small)
    assert e.code == "E_LIMIT_EXCEEDED" and e.path == "/value/shape"


def test_outer_members_before_the_nested_envelope():
    broken = nested(shape=[-1])
    assert code(dict(T, device="cuda:0", value=broken)) == "E_DEVICE_UNSUPPORTED"
    assert code(dict(T, dtype="torch.half", value=broken)) == "E_DTYPE_UNSUPPORTED"
    assert code(dict(T, sourceDevice="", value=broken)) == "E_VALUE_DOMAIN"
    assert code(dict(T, shape=[-1], value=[])) == "E_SHAPE_INVALID"       # shape before value
    assert code(dict(T, value=[], device="gpu")) == "E_DEVICE_UNSUPPORTED"
    assert code(dict(T, sourceDtype="x", device="gpu")) == "E_DTYPE_UNSUPPORTED"  # source-dtype before device
    assert code(dict(T, device="gpu", sourceDevice=1)) == "E_DEVICE_UNSUPPORTED"


# --- [torch.dtype.agreement], [torch.shape.agreement] ---------------------------------------------------

def test_dtype_agreement():
    e = err(dict(T, dtype="torch.float64"))
    assert e.code == "E_DTYPE_MISMATCH" and e.clause == "torch.dtype.agreement"
    assert code(dict(T, dtype="torch.int32")) == "E_DTYPE_MISMATCH"
    assert code(dict(T, dtype="torch.int64", value=nested(dtype="float32"))) == "E_DTYPE_MISMATCH"
    # v0 arrow without a nested dtype: the Arrow type gives it, and it must agree
    arrow = without(arrow_nested(np.array([1, 2], dtype=np.int64)), "codecVersion", "dtype")
    assert value(dict(without(T, "codecVersion"), dtype="torch.int64", value=arrow))["array"]["dtype"] == "int64"
    assert code(dict(without(T, "codecVersion"), dtype="torch.float64", value=arrow)) == "E_DTYPE_MISMATCH"


def test_nested_error_before_agreement():
    assert code(dict(T, dtype="torch.int64", value=nested(data=[1.5]))) == "E_SHAPE_MISMATCH"


def test_shape_agreement():
    one = nested(shape=[1], data=[1.5])
    scalar = nested(shape=[], data=1.5)
    assert value(dict(T, shape=[1], value=one))["array"]["shape"] == [1]
    assert value(dict(T, shape=[], value=scalar))["array"]["shape"] == []
    e = err(dict(T, shape=[], value=one))
    assert e.code == "E_SHAPE_MISMATCH" and e.clause == "torch.shape.agreement"
    assert code(dict(T, shape=[1], value=scalar)) == "E_SHAPE_MISMATCH"
    m = nested(shape=[2, 3], data=[[1, 2, 3], [4, 5, 6]])
    assert code(dict(T, shape=[3, 2], value=m)) == "E_SHAPE_MISMATCH"
    assert code(dict(T, shape=[6], value=m)) == "E_SHAPE_MISMATCH"
    assert code(dict(T, shape=[2, 3, 1], value=m)) == "E_SHAPE_MISMATCH"
    # dtype agreement is checked before shape agreement
    assert code(dict(T, shape=[3], dtype="torch.float64")) == "E_DTYPE_MISMATCH"


# --- encoding ([torch.encode.*]) and canonical values ----------------------------------------------

@pytest.mark.parametrize("encoding", ["arrow", "json"])
def test_encode_canonical_roundtrip(encoding):
    out = sw.encode_canonical(CANON, encoding)
    env = json.loads(out)
    assert env["encoding"] == "ndarray" and env["codecVersion"] == 1 and env["device"] == "cpu"
    assert env["value"]["encoding"] == encoding and env["value"]["codecVersion"] == 1
    assert env["shape"] == [2] and env["dtype"] == "torch.float32"
    assert sw.decode(out).canonical() == CANON
    for extra in ({"sourceDevice": "cuda:0"}, {"sourceDtype": "torch.bfloat16"},
                  {"sourceDtype": "torch.bfloat16", "sourceDevice": "mps"}):
        c = dict(CANON, **extra)
        out = sw.encode_canonical(c, encoding)
        assert sw.decode(out).canonical() == c
        for k, val in extra.items():
            assert json.loads(out)[k] == val


@pytest.mark.parametrize("torch_dtype,np_dtype", sorted(tensor.TORCH_DTYPES.items()))
@pytest.mark.parametrize("encoding", ["arrow", "json"])
def test_encode_every_dtype(torch_dtype, np_dtype, encoding):
    arr = (np.arange(6) % 2).astype(np_dtype).reshape(3, 2)
    rec = sw.Tensor(torch_dtype, arr)
    out = sw.dumps(rec, encoding)
    assert sw.decode(out).canonical() == sw.to_canonical(rec) == \
        {"kind": "tensor", "dtype": torch_dtype, "array": sw.to_canonical(arr)}


def test_encode_zero_d_and_non_contiguous():
    rec = sw.Tensor("torch.float64", np.array(2.5))
    assert json.loads(sw.dumps(rec, "json"))["shape"] == []
    base = np.arange(12, dtype=np.int32).reshape(3, 4)
    for arr in (base.T, base[:, ::2], np.asfortranarray(base)):
        out = sw.dumps(sw.Tensor("torch.int32", arr), "json")
        assert sw.decode(out).canonical()["array"] == sw.to_canonical(np.ascontiguousarray(arr))


def test_encode_refusals():
    enc = lambda c, e="json": sw.encode_canonical(c, e)  # noqa: E731
    nan = dict(CANON, array=dict(CANON["array"], hex="0000c07f000000c0"))
    assert raises(enc, nan) == "E_VALUE_DOMAIN"                      # NaN in json
    assert sw.decode(enc(nan, "arrow")).canonical() == nan            # arrow carries it
    assert raises(enc, dict(CANON, dtype="torch.int32")) == "E_DTYPE_MISMATCH"
    assert raises(enc, dict(CANON, dtype="torch.float64")) == "E_DTYPE_MISMATCH"
    assert raises(enc, dict(CANON, dtype="torch.bfloat16")) == "E_DTYPE_UNSUPPORTED"
    assert raises(enc, dict(CANON, dtype="float32")) == "E_DTYPE_UNSUPPORTED"
    assert raises(enc, dict(CANON, sourceDtype="torch.float16")) == "E_DTYPE_UNSUPPORTED"
    f64 = {"kind": "ndarray", "dtype": "float64", "shape": [1], "hex": "000000000000f83f"}
    assert raises(enc, {"kind": "tensor", "dtype": "torch.float64", "array": f64,
                        "sourceDtype": "torch.bfloat16"}) == "E_DTYPE_MISMATCH"
    not_bf16 = dict(CANON, sourceDtype="torch.bfloat16", array=dict(CANON["array"], hex="cdcccc3d000000c0"))
    assert raises(enc, not_bf16) == "E_VALUE_DOMAIN"
    assert raises(enc, dict(CANON, sourceDevice="")) == "E_VALUE_DOMAIN"
    assert raises(enc, CANON, "ndarray") == "E_ENCODING_UNSUPPORTED"
    dt = {"kind": "ndarray", "dtype": "datetime64[s]", "shape": [1], "hex": "0000000000000000"}
    assert raises(enc, dict(CANON, dtype="torch.int64", array=dt)) == "E_DTYPE_UNSUPPORTED"   # nested json refusal
    assert raises(enc, dict(CANON, dtype="torch.int64", array=dt), "arrow") == "E_DTYPE_MISMATCH"
    assert raises(enc, dict(CANON, array=dict(CANON["array"], hex="00"))) == "E_SHAPE_MISMATCH"
    assert raises(sw.from_canonical, dict(CANON, device="cpu")) == "E_FIELD_TYPE"


def test_from_canonical_gives_a_record():
    rec = sw.from_canonical(dict(CANON, sourceDevice="cuda:0"))
    assert isinstance(rec, sw.Tensor) and rec.source_device == "cuda:0" and rec.array.tolist() == [1.5, -2.0]
    assert sw.to_canonical(rec) == dict(CANON, sourceDevice="cuda:0")


def test_works_without_torch():
    """In a process where `import torch` fails: decode, loads (a Tensor
    record), to_canonical, dumps and the harness all work."""
    prog = f"""
import sys, json
sys.modules["torch"] = None           # import torch now raises ImportError
sys.path.insert(0, {str(tensor.__file__.rsplit('/sciwire_py/', 1)[0])!r})
import numpy as np, sciwire_py as sw
env = {json.dumps(T)!r}
t = sw.loads(env)
assert isinstance(t, sw.Tensor), type(t)
assert sw.decode(env).canonical()["dtype"] == "torch.float32"
out = sw.dumps(sw.Tensor("torch.int16", np.arange(4, dtype=np.int16)), "arrow")
assert sw.decode(out).canonical()["array"]["dtype"] == "int16"
assert sw.to_canonical(t)["kind"] == "tensor"
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_harness_never_imports_torch():
    import vectors as V
    lines = [json.dumps({"cmd": "start", "id": 0, "protocol": 1}),
             json.dumps({"cmd": "decode", "id": 1, "case": "t",
                         "input": __import__("base64").b64encode(text(T)).decode()}),
             json.dumps({"cmd": "encode", "id": 2, "case": "e", "value": CANON, "encoding": "arrow"})]
    prog = ("import sys, runpy; sys.modules['torch'] = None; sys.argv = ['harness.py']; "
            f"runpy.run_path({str(V.PKG_DIR / 'harness.py')!r}, run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", prog], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=60)
    resp = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["id"] for r in resp] == [0, 1, 2], proc.stderr
    assert resp[1]["value"] == CANON and "output" in resp[2]


# --- torch itself (skipped without it) ----------------------------------------------------------------

def test_from_torch_tensors():
    torch = pytest.importorskip("torch")
    cases = [torch.arange(6, dtype=torch.float32).reshape(2, 3), torch.tensor(3.5, dtype=torch.float64),
             torch.tensor([True, False]), torch.arange(4, dtype=torch.int64).reshape(2, 2).t(),
             torch.tensor([1, 2], dtype=torch.uint8), torch.tensor([0.5, -1.0], dtype=torch.float16),
             torch.ones(1, requires_grad=True)] + \
        [torch.tensor([0, 1, 7]).to(getattr(torch, f"uint{b}")) for b in (16, 32, 64) if hasattr(torch, f"uint{b}")]
    for t in cases:
        for enc in ("arrow", "json"):
            out = sw.dumps(t, enc)
            env = json.loads(out)
            assert env["dtype"] == str(t.dtype) and env["shape"] == list(t.shape)
            back = sw.loads(out)
            assert isinstance(back, torch.Tensor) and back.dtype == t.dtype and back.shape == t.shape
            assert torch.equal(back, t.detach())
    bf = torch.tensor([1.5, -0.099609375], dtype=torch.bfloat16)
    env = json.loads(sw.dumps(bf, "json"))
    assert env["dtype"] == "torch.float32" and env["sourceDtype"] == "torch.bfloat16"
    back = sw.loads(sw.dumps(bf))
    assert back.dtype == torch.bfloat16 and torch.equal(back, bf)


def test_from_torch_refusals():
    torch = pytest.importorskip("torch")
    assert raises(sw.dumps, torch.tensor([1 + 2j])) == "E_DTYPE_UNSUPPORTED"
    assert raises(sw.dumps, torch.eye(2).to_sparse()) == "E_DTYPE_UNSUPPORTED"
    assert raises(sw.dumps, torch.empty(2, device="meta")) == "E_DEVICE_UNSUPPORTED"
    if hasattr(torch, "float8_e4m3fn"):
        assert raises(sw.dumps, torch.zeros(2).to(torch.float8_e4m3fn)) == "E_DTYPE_UNSUPPORTED"
    assert raises(sw.dumps, torch.tensor([float("nan")]), "json") == "E_VALUE_DOMAIN"
