"""Invalid sklearn.estimator vectors: each breaks one rule of spec/src/sklearn-estimator.md (or of
the envelope and JSON pages, where an estimator envelope meets them), in processing order.

Almost all are one mutation of the producer's envelope of a real estimator (`source.mutation`);
pickled state is a real pickle of a real estimator (data only: never loaded).

`schemaValid` is set by reasoning about what schemas/v1/sklearn-estimator.schema.json can check:
member names and JSON types, the marker, codecVersion, encoding, the className and module
patterns, version (a non-empty string or null), params an object with no `__tywrap__` member at
any depth and only finite numbers. It cannot check a number's kind (an integer text beyond
+-(2^53-1) has a finite value), duplicate names or depth: those are schemaValid true (or text).
"""

from __future__ import annotations

import base64
import json
import pickle

from .common import HOSTILE_BUDGET, J, Suite, T, dumps_env, hand, with_, without
from .sklearn_estimator_producer import estimator_env, src

LOGREG = "LogisticRegression(C=0.5, max_iter=200)"
USER = "SciwireDemoEstimator()"
NDARRAY_ENV = {"__tywrap__": "ndarray", "codecVersion": 1, "encoding": "json", "data": [0.0, 1.0, 2.0],
               "shape": [3], "dtype": "float64"}  # the ndarray envelope of np.arange(3.0) (json)


def invalid_vectors(S: Suite, run):
    base = estimator_env(run(LOGREG))
    user = estimator_env(run(USER))
    assert list(base["params"])[:2] == ["C", "class_weight"] and base["params"]["max_iter"] == 200
    text_vectors(S, base)
    envelope_vectors(S, base)
    member_vectors(S, base, run)
    name_vectors(S, base)
    params_vectors(S, base, user, run)


def text_vectors(S: Suite, base):
    plain = dumps_env(base)
    why = f"hand-edited JSON text of the producer's envelope for {LOGREG}"
    DUP = ["json.duplicate-keys", "sklearn.params.value"]
    S.invalid("sklearn-invalid-json-duplicate-param", "params with member C twice (0.5 and 1.0)", DUP,
              T(plain.replace('"C": 0.5,', '"C": 0.5, "C": 1.0,')), "E_JSON_DUPLICATE_KEY", hand(why))
    S.invalid("sklearn-invalid-json-duplicate-escaped-param", "params members C and \\u0043 are one name", DUP,
              T(plain.replace('"C": 0.5,', '"C": 0.5, "\\u0043": 0.5,')), "E_JSON_DUPLICATE_KEY", hand(why))
    S.invalid("sklearn-invalid-json-duplicate-class-name", "member className twice",
              ["json.duplicate-keys", "sklearn.class-name"],
              T(plain.replace('"className": "LogisticRegression",',
                              '"className": "LogisticRegression", "className": "SVC",')),
              "E_JSON_DUPLICATE_KEY", hand(why))
    # what tywrap 0.10's producer writes for an int key next to the same string key
    expr = "SVC(class_weight={0: 1, '0': 2})"
    tywrap_text = json.dumps({"__tywrap__": "sklearn.estimator", "codecVersion": 1, "encoding": "json",
                              "className": "SVC", "module": "sklearn.svm._classes", "version": base["version"],
                              "params": {"class_weight": {0: 1, "0": 2}}})
    assert '"class_weight": {"0": 1, "0": 2}' in tywrap_text
    S.invalid("sklearn-invalid-json-duplicate-stringified-key",
              "class_weight {\"0\": 1, \"0\": 2}: tywrap's producer stringifies the int key 0",
              DUP, T(tywrap_text), "E_JSON_DUPLICATE_KEY",
              src(expr, "written as tywrap 0.10's producer writes it (json.dumps turns the key 0 into "
                        "\"0\"); params cut to class_weight"))
    S.invalid("sklearn-invalid-json-nan-param", "NaN literal as a param value",
              ["json.syntax", "sklearn.params.numbers"], T(plain.replace('"C": 0.5', '"C": NaN')),
              "E_JSON_SYNTAX", hand(why))
    S.invalid("sklearn-invalid-json-params-depth-129", "params nested so that the depth is 129",
              ["json.depth", "limits.depth", "limits.conformance-defaults", "sklearn.params"],
              T(plain.replace('"class_weight": null', '"class_weight": ' + "[" * 127 + "]" * 127)),
              "E_LIMIT_EXCEEDED", hand(why + ", one param nested deeply"), tags=["boundary"])
    S.invalid("sklearn-invalid-json-unterminated-params", "params object not closed",
              ["json.syntax"], T(plain[:-1]), "E_JSON_SYNTAX", hand(why))


def envelope_vectors(S: Suite, base):
    mut = lambda m: src(LOGREG, m)  # noqa: E731
    for vid, v in [("sklearn", "sklearn"), ("sklearn-estimator-upper", "sklearn.Estimator"),
                   ("estimator", "estimator")]:
        S.invalid(f"sklearn-invalid-marker-{vid}", f"estimator envelope with marker {v!r}", ["envelope.marker"],
                  J(with_(base, __tywrap__=v)), "E_UNKNOWN_MARKER", mut(f"__tywrap__ -> {v!r}"),
                  schema_valid=False)
    S.invalid("sklearn-invalid-codec-version-2", "estimator envelope with codecVersion 2",
              ["envelope.codec-version"], J(with_(base, codecVersion=2)), "E_CODEC_VERSION",
              mut("codecVersion 1 -> 2"), schema_valid=False)
    S.invalid("sklearn-invalid-encoding-missing", "estimator envelope without encoding",
              ["envelope.encoding", "envelope.required-fields"], J(without(base, "encoding")), "E_MISSING_FIELD",
              mut("encoding removed"), schema_valid=False)
    S.invalid("sklearn-invalid-encoding-null", "estimator envelope with encoding null",
              ["envelope.encoding", "envelope.field-types"], J(with_(base, encoding=None)), "E_FIELD_TYPE",
              mut("encoding -> null"), schema_valid=False)
    for vid, v in [("arrow", "arrow"), ("pickle", "pickle"), ("joblib", "joblib"), ("ndarray", "ndarray")]:
        S.invalid(f"sklearn-invalid-encoding-{vid}", f"estimator envelope with encoding {v!r}",
                  ["sklearn.encodings", "envelope.encoding"], J(with_(base, encoding=v)), "E_ENCODING_UNSUPPORTED",
                  mut(f"encoding \"json\" -> {v!r}"), schema_valid=False)
    S.invalid("sklearn-invalid-encoding-before-required", "encoding pickle and className missing",
              ["sklearn.encodings", "sklearn.required"], J(without(with_(base, encoding="pickle"), "className")),
              "E_ENCODING_UNSUPPORTED", mut("encoding pickle, className removed"), schema_valid=False,
              tags=["processing-order"])


def member_vectors(S: Suite, base, run):
    mut = lambda m: src(LOGREG, m)  # noqa: E731
    REQ = ["sklearn.required", "envelope.required-fields"]
    for member in ("className", "module", "version", "params"):
        S.invalid(f"sklearn-invalid-required-{member.lower()}", f"estimator envelope without {member}", REQ,
                  J(without(base, member)), "E_MISSING_FIELD", mut(f"{member} removed"), schema_valid=False)
    S.invalid("sklearn-invalid-required-all", "estimator envelope with only the common members", REQ,
              J(without(base, "className", "module", "version", "params")), "E_MISSING_FIELD",
              mut("className, module, version and params removed"), schema_valid=False)
    S.invalid("sklearn-invalid-required-before-class-name", "module missing and className \"\"",
              REQ + ["sklearn.class-name"], J(with_(without(base, "module"), className="")), "E_MISSING_FIELD",
              mut("module removed, className \"\""), schema_valid=False, tags=["processing-order"])
    S.invalid("sklearn-invalid-required-params-before-version-type", "params missing and version 5",
              REQ + ["sklearn.version"], J(with_(without(base, "params"), version=5)), "E_MISSING_FIELD",
              mut("params removed, version 5"), schema_valid=False, tags=["processing-order"])
    V0 = ["sklearn.legacy-v0", "envelope.legacy-v0", "sklearn.required"]
    for member in ("version", "params", "className"):
        S.invalid(f"sklearn-invalid-v0-no-{member.lower()}", f"v0 estimator envelope without {member}", V0,
                  J(without(base, "codecVersion", member)), "E_MISSING_FIELD",
                  mut(f"codecVersion and {member} removed"), schema_valid=False)
    S.invalid("sklearn-invalid-v0-metadata-only", "v0 estimator envelope without version and params, "
              "as tywrap reads leniently", V0, J(without(base, "codecVersion", "version", "params")),
              "E_MISSING_FIELD", mut("codecVersion, version and params removed"), schema_valid=False)

    est = run(LOGREG)
    pickled = base64.b64encode(pickle.dumps(est, protocol=4)).decode("ascii")
    state = est.__getstate__()
    assert json.loads(json.dumps(state)) == state
    NC = ["sklearn.no-code", "envelope.unknown-fields"]
    for vid, desc, env, m in [
            ("pickle", "estimator envelope with a pickle member (base64 of a real pickle)",
             with_(base, pickle=pickled), "pickle member added: base64 of pickle.dumps(est, protocol=4)"),
            ("joblib", "estimator envelope with a joblib member holding pickle bytes",
             with_(base, joblib=pickled), "joblib member added: base64 of pickle.dumps(est, protocol=4)"),
            ("state", "estimator envelope with a state member from __getstate__()",
             with_(base, state=state), "state member added: est.__getstate__()"),
            ("pickle-instead-of-params", "pickle member in place of params",
             with_(without(base, "params"), pickle=pickled), "params replaced by a pickle member"),
            ("v0-pickle", "v0 estimator envelope with a pickle member",
             with_(without(base, "codecVersion"), pickle=pickled), "codecVersion removed, pickle member added"),
            ("constructor", "estimator envelope with a constructor member naming code to call",
             with_(base, constructor="sklearn.linear_model.LogisticRegression"), "constructor member added"),
            ("fitted-attribute", "estimator envelope with a fitted attribute coef_",
             with_(base, coef_=[[0.5, -0.25]]), "coef_ member added")]:
        tags = ["processing-order"] if vid == "pickle-instead-of-params" else None
        S.invalid(f"sklearn-invalid-no-code-{vid}", desc, NC + (["envelope.legacy-v0"] if "v0" in vid else []),
                  J(env), "E_UNKNOWN_FIELD", src(LOGREG, m), schema_valid=False, tags=tags)


def name_vectors(S: Suite, base):
    mut = lambda m: src(LOGREG, m)  # noqa: E731
    for member, clause in (("className", "sklearn.class-name"), ("module", "sklearn.module")):
        for vid, v in [("number", 5), ("null", None), ("array", [base[member]]), ("true", True)]:
            S.invalid(f"sklearn-invalid-{member.lower()}-{vid}", f"estimator {member} {json.dumps(v)}",
                      [clause, "envelope.field-types"], J(with_(base, **{member: v})), "E_FIELD_TYPE",
                      mut(f"{member} -> {json.dumps(v)}"), schema_valid=False)
    for vid, v in [("empty", ""), ("dotted", "linear_model.LogisticRegression"), ("space", "Logistic Regression"),
                   ("leading-digit", "1LogisticRegression"), ("non-ascii", "Sch\u00e4tzer"),
                   ("trailing-newline", "LogisticRegression\n"), ("hyphen", "Logistic-Regression"),
                   ("trailing-space", "LogisticRegression "), ("generic", "Pipeline[int]")]:
        S.invalid(f"sklearn-invalid-classname-{vid}", f"estimator className {json.dumps(v)}",
                  ["sklearn.class-name"], J(with_(base, className=v)), "E_VALUE_DOMAIN",
                  mut(f"className -> {json.dumps(v)}"), schema_valid=False)
    for vid, v in [("empty", ""), ("leading-dot", ".linear_model"), ("trailing-dot", "sklearn.linear_model."),
                   ("double-dot", "sklearn..linear_model"), ("space", "sklearn linear_model"),
                   ("slash", "sklearn/linear_model/_logistic"), ("leading-digit", "sklearn.2d"),
                   ("non-ascii", "skl\u00e9arn.models"), ("trailing-newline", "sklearn.linear_model._logistic\n"),
                   ("dot-only", "."), ("path", "sklearn/linear_model/_logistic.py")]:
        S.invalid(f"sklearn-invalid-module-{vid}", f"estimator module {json.dumps(v)}", ["sklearn.module"],
                  J(with_(base, module=v)), "E_VALUE_DOMAIN", mut(f"module -> {json.dumps(v)}"),
                  schema_valid=False)
    for vid, v in [("number", 5), ("float", 1.9), ("true", True), ("array", [1, 9, 1]), ("object", {"v": "1.9.1"})]:
        S.invalid(f"sklearn-invalid-version-{vid}", f"estimator version {json.dumps(v)}",
                  ["sklearn.version", "envelope.field-types"], J(with_(base, version=v)), "E_FIELD_TYPE",
                  mut(f"version -> {json.dumps(v)}"), schema_valid=False)
    S.invalid("sklearn-invalid-version-empty", "estimator version \"\"", ["sklearn.version"],
              J(with_(base, version="")), "E_VALUE_DOMAIN", mut("version -> \"\""), schema_valid=False)
    PO = ["processing-order"]
    S.invalid("sklearn-invalid-classname-before-module", "className 5 and module \"\"",
              ["sklearn.class-name", "envelope.field-types", "sklearn.module"], J(with_(base, className=5, module="")),
              "E_FIELD_TYPE", mut("className 5, module \"\""), schema_valid=False, tags=PO)
    S.invalid("sklearn-invalid-classname-before-version", "className \"a b\" and version 5",
              ["sklearn.class-name", "sklearn.version"], J(with_(base, className="a b", version=5)),
              "E_VALUE_DOMAIN", mut("className \"a b\", version 5"), schema_valid=False, tags=PO)
    S.invalid("sklearn-invalid-module-before-params", "module \"a..b\" and params []",
              ["sklearn.module", "sklearn.params"], J(with_(base, module="a..b", params=[])), "E_VALUE_DOMAIN",
              mut("module \"a..b\", params []"), schema_valid=False, tags=PO)
    S.invalid("sklearn-invalid-version-before-params", "version \"\" and params \"x\"",
              ["sklearn.version", "sklearn.params"], J(with_(base, version="", params="x")), "E_VALUE_DOMAIN",
              mut("version \"\", params \"x\""), schema_valid=False, tags=PO)


def params_vectors(S: Suite, base, user, run):
    mut = lambda m: src(LOGREG, m)  # noqa: E731
    for vid, v in [("array", []), ("null", None), ("string", "x"), ("number", 5), ("true", True),
                   ("pairs", [["C", 0.5], ["max_iter", 200]])]:
        S.invalid(f"sklearn-invalid-params-{vid}", f"estimator params {json.dumps(v)}",
                  ["sklearn.params", "envelope.field-types"], J(with_(base, params=v)), "E_FIELD_TYPE",
                  mut(f"params -> {json.dumps(v)}"), schema_valid=False)
    S.invalid("sklearn-invalid-params-array-holding-envelope", "params an array holding an envelope",
              ["sklearn.params", "sklearn.params.no-envelope"], J(with_(base, params=[NDARRAY_ENV])),
              "E_FIELD_TYPE", mut("params -> [the ndarray envelope of np.arange(3.0)]"), schema_valid=False,
              tags=["processing-order"])

    size_vectors(S, base)

    NUM = ["sklearn.params.numbers"]
    p = base["params"]
    for vid, desc, params, m in [
            ("int-2-53", "max_iter 9007199254740992 written as an integer", {**p, "max_iter": 2**53},
             "max_iter 200 -> 9007199254740992"),
            ("int-minus-2-53", "verbose -9007199254740992 written as an integer", {**p, "verbose": -2**53},
             "verbose 0 -> -9007199254740992"),
            ("int-2-63", "random_state 2^63-1 written as an integer", {**p, "random_state": 2**63 - 1},
             "random_state null -> 9223372036854775807"),
            ("int-2-53-in-array", "an integer 2^53 inside an array param", {**p, "class_weight": [1, 2**53]},
             "class_weight null -> [1, 9007199254740992]"),
            ("int-2-53-deep", "an integer 2^53 deep inside an object param",
             {**p, "class_weight": {"a": [{"b": {"c": [0, 2**53]}}]}},
             "class_weight null -> {\"a\": [{\"b\": {\"c\": [0, 9007199254740992]}}]}")]:
        S.invalid(f"sklearn-invalid-numbers-{vid}", desc, NUM, J(with_(base, params=params)), "E_VALUE_DOMAIN",
                  mut(m), schema_valid=True)
    texpr = "LogisticRegression(max_iter=2**53 + 1)"
    tenv = estimator_env(run(texpr), strict=False)
    assert tenv["params"]["max_iter"] == 2**53 + 1
    S.invalid("sklearn-invalid-numbers-tywrap-unsafe", "max_iter 9007199254740993 as tywrap 0.10 writes it", NUM,
              J(tenv), "E_VALUE_DOMAIN", src(texpr, "written as tywrap 0.10's producer writes it: the raw "
                                                    "integer (a sciwire producer refuses it)"), schema_valid=True)
    plain = dumps_env(base)
    why = f"hand-edited JSON text of the producer's envelope for {LOGREG}"
    for vid, desc, old, new in [
            ("1e400", "C 1e400, a float without a value", '"C": 0.5', '"C": 1e400'),
            ("minus-1e400", "tol -1e400", '"tol": 0.0001', '"tol": -1e400'),
            ("1e400-nested", "1e400 inside an array param", '"class_weight": null', '"class_weight": [1.0, 1E+400]'),
            ("int-2-53-plus-1", "max_iter 9007199254740993 written as an integer", '"max_iter": 200',
             '"max_iter": 9007199254740993'),
            ("int-2-64", "max_iter 18446744073709551616 written as an integer", '"max_iter": 200',
             '"max_iter": 18446744073709551616'),
            ("int-minus-0-then-2-53", "an integer array [-0, 9007199254740992]", '"class_weight": null',
             '"class_weight": [-0, 9007199254740992]')]:
        assert old in plain
        S.invalid(f"sklearn-invalid-numbers-{vid}", desc, NUM + ["json.numbers"], T(plain.replace(old, new)),
                  "E_VALUE_DOMAIN", hand(why))
    S.invalid("sklearn-invalid-numbers-before-envelope", "a nested envelope first, an integer 2^53 after it",
              NUM + ["sklearn.params.no-envelope"],
              J(with_(base, params={**p, "class_weight": NDARRAY_ENV, "verbose": 2**53})), "E_VALUE_DOMAIN",
              mut("class_weight -> the ndarray envelope of np.arange(3.0), verbose -> 9007199254740992"),
              schema_valid=False, tags=["processing-order"])

    NE = ["sklearn.params.no-envelope"]
    pexpr = "Pipeline([('scale', StandardScaler()), ('model', LogisticRegression())])"
    penv = estimator_env(run(pexpr), strict=False, nested=True)
    assert penv["params"]["steps"][0][1]["__tywrap__"] == "sklearn.estimator"
    S.invalid("sklearn-invalid-no-envelope-pipeline", "a Pipeline whose steps hold nested estimator envelopes",
              NE, J(penv), "E_NESTED_ENVELOPE",
              src(pexpr, "each step's estimator written as a nested envelope (the producer recursing, "
                         "which the spec forbids)"), schema_valid=False)
    uexpr = "SciwireDemoEstimator(options={'weights': {'init': " + json.dumps(NDARRAY_ENV).replace("null", "None") \
        + "}})"
    uenv = estimator_env(run(uexpr), strict=False)
    assert uenv["params"]["options"]["weights"]["init"] == NDARRAY_ENV
    S.invalid("sklearn-invalid-no-envelope-deep-ndarray", "an ndarray envelope two objects deep in a param",
              NE, J(uenv), "E_NESTED_ENVELOPE",
              src(uexpr, "written without the __tywrap__ check, as tywrap 0.10's producer writes it"),
              schema_valid=False)
    for vid, desc, params, m in [
            ("params-itself", "params itself with a __tywrap__ member",
             {"__tywrap__": "sklearn.estimator", **p}, "params member __tywrap__ added"),
            ("in-array", "an object with __tywrap__ inside an array param",
             {**p, "class_weight": [{"__tywrap__": "ndarray"}]}, "class_weight -> [{\"__tywrap__\": \"ndarray\"}]"),
            ("marker-number", "a param object whose __tywrap__ member is 5",
             {**p, "class_weight": {"__tywrap__": 5}}, "class_weight -> {\"__tywrap__\": 5}"),
            ("marker-unknown", "a param object whose __tywrap__ names a marker (dataframe) with no valid envelope",
             {**p, "class_weight": {"__tywrap__": "dataframe", "b64": ""}},
             "class_weight -> {\"__tywrap__\": \"dataframe\", \"b64\": \"\"}")]:
        S.invalid(f"sklearn-invalid-no-envelope-{vid}", desc, NE, J(with_(base, params=params)),
                  "E_NESTED_ENVELOPE", mut(m), schema_valid=False)
    S.invalid("sklearn-invalid-no-envelope-escaped-name", "a params member written \\u005f_tywrap__",
              NE + ["json.duplicate-keys"],
              T(plain.replace('"class_weight": null', '"class_weight": {"\\u005f_tywrap\\u005f_": "ndarray"}')),
              "E_NESTED_ENVELOPE", hand(why))
    uplain = dumps_env(user)
    assert '"options": null' in uplain
    S.invalid("sklearn-invalid-no-envelope-deep-text", "a __tywrap__ member 120 objects deep in a param",
              NE + ["json.depth"],
              T(uplain.replace('"options": null',
                               '"options": ' + '{"d": ' * 120 + '{"__tywrap__": "ndarray"}' + "}" * 120)),
              "E_NESTED_ENVELOPE", hand(f"hand-edited JSON text of the producer's envelope for {USER}"))


MAX_PARAMS_VALUES = 2**20  # spec/src/limits.md, the default


def size_vectors(S: Suite, base):
    """[sklearn.params.size]: one value past max_params_values, as a long array param (the
    concat input form keeps the file small), alone and before a number fault."""
    mut = lambda m: src(LOGREG, m)  # noqa: E731
    p = base["params"]
    # params itself, one value per member (the array is one), and the array's items
    n = MAX_PARAMS_VALUES + 1 - 1 - len(p)
    for vid, desc, extra, tags in [
            ("size-over", f"params holding {MAX_PARAMS_VALUES + 1} values, one past max_params_values",
             {}, None),
            ("size-over-before-number", "params one value past max_params_values, with an integer "
             "2^53 as well: the count comes first", {"max_iter": 2**53}, ["processing-order"])]:
        head = dumps_env(with_(base, params={**p, **extra, "class_weight": "@ITEMS@"}))
        before, after = head.split('"@ITEMS@"')
        S.invalid(f"sklearn-invalid-params-{vid}", desc,
                  ["sklearn.params.size", "limits.conformance-defaults"],
                  {"concat": [{"text": before + "["}, {"text": "0,", "repeat": n - 1},
                              {"text": "0]" + after}]},
                  "E_LIMIT_EXCEEDED",
                  mut(f"class_weight null -> an array of {n} zeros"
                      + (", max_iter 200 -> 9007199254740992" if extra else "")),
                  budget=HOSTILE_BUDGET, tags=tags)

