"""The `sklearn.estimator` envelope: its valid, equivalence and encode vectors, and build(S).

Valid vectors are real scikit-learn estimators (and user estimators defined below, subclasses of
BaseEstimator, whose module is this one) turned into envelopes by the producer in
sklearn_estimator_producer.py, which follows [sklearn.encode.members]; the expected value is the
typed tree of the parameters as the envelope's JSON text gives them (an integer text is an int,
a text with a fraction or an exponent a float). Invalid vectors are in
sklearn_estimator_invalid.py. Deterministic: no network, no clock, no randomness.
"""

from __future__ import annotations

import copy
import json

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans, OPTICS
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.feature_selection import SelectKBest
from sklearn.linear_model import Lars, LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from .common import MAX_SAFE, Suite, dumps_env, hand, uniq, with_, without
from .sklearn_estimator_invalid import invalid_vectors
from .sklearn_estimator_producer import LIBRARIES  # noqa: F401 - this envelope's LIBRARIES, read by common
from .sklearn_estimator_producer import canon, canon_env, estimator_env, refusal, src, typed

# The envelope module's header, read by common.load_envelopes without importing this module.
MARKER = "sklearn.estimator"
ID_PREFIX = "sklearn-"
REQUIRES = ("numpy", "sklearn")


class SciwireDemoEstimator(BaseEstimator):
    """A user estimator outside scikit-learn: BaseEstimator is scikit-learn's extension point,
    so producers write such estimators too. Its module is sciwire_gen.sklearn_estimator."""

    def __init__(self, alpha=1.5, n_iter=10, label="h\u00e9llo \u4e2d\u6587 \U0001f600", options=None,
                 weights=(0.25, -0.0), flag=True):
        self.alpha = alpha
        self.n_iter = n_iter
        self.label = label
        self.options = options
        self.weights = weights
        self.flag = flag


class Schätzer(BaseEstimator):
    """A user estimator whose class name is a Python identifier but not an ASCII one: producers
    refuse it ([sklearn.class-name] carries ASCII identifiers only)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha


NS = {"np": np, "BaseEstimator": BaseEstimator, "KMeans": KMeans, "OPTICS": OPTICS,
      "RandomForestClassifier": RandomForestClassifier, "CountVectorizer": CountVectorizer,
      "TfidfVectorizer": TfidfVectorizer, "SelectKBest": SelectKBest, "Lars": Lars,
      "LinearRegression": LinearRegression, "LogisticRegression": LogisticRegression,
      "GridSearchCV": GridSearchCV, "MLPClassifier": MLPClassifier, "Pipeline": Pipeline,
      "MinMaxScaler": MinMaxScaler, "StandardScaler": StandardScaler, "SVC": SVC,
      "SciwireDemoEstimator": SciwireDemoEstimator, "Schätzer": Schätzer}


def run(expr: str):
    """Evaluate the expression that builds an estimator, so `source.expr` is exactly what ran."""
    return eval(expr, dict(NS))  # noqa: S307 - expressions are literals in this module


def build(S: Suite):
    """Add every sklearn.estimator vector to S (encode vectors reuse valid ones: they come last)."""
    valid_vectors(S)
    invalid_vectors(S, run)
    encode_vectors(S)
    from .sklearn_estimator_frame import frame_vectors  # frames: valid, groups, encode, invalid
    frame_vectors(S, run)


# ----------------------------------------------------------------------------------------------
# Sanity decoding (guards the generator, not the spec): the value from Python's json module
# ----------------------------------------------------------------------------------------------

def sanity_decode(vid, inp, value):
    if "base64" in inp:  # a frame (sklearn_estimator_frame.py)
        from .sklearn_estimator_frame import sanity_decode_frame
        return sanity_decode_frame(vid, inp, value)
    env = inp["json"] if "json" in inp else json.loads(inp["text"])
    if "json" in inp:  # the value comes from the JSON text of the input, as any reader sees it
        env = json.loads(json.dumps(env))
    assert env["__tywrap__"] == MARKER and env["encoding"] == "json", vid
    got = {"kind": "estimator", "className": env["className"], "module": env["module"],
           "version": env["version"], "params": typed(env["params"])}
    assert got == value, f"{vid}: {got} != {value}"


# ----------------------------------------------------------------------------------------------
# Clause lists
# ----------------------------------------------------------------------------------------------

ENVELOPE_OK = ["envelope.object", "envelope.marker", "envelope.codec-version", "envelope.encoding",
               "envelope.unknown-fields", "envelope.field-types", "envelope.required-fields"]
SKLEARN_ALL = ["sklearn.encodings", "sklearn.required", "sklearn.no-code", "sklearn.class-name",
               "sklearn.module", "sklearn.version", "sklearn.params", "sklearn.params.size", "sklearn.params.numbers",
               "sklearn.params.no-envelope", "sklearn.params.value", "canonical.estimator",
               "canonical.typed-json"]
DECODED = ["sklearn.class-name", "sklearn.module", "sklearn.version", "sklearn.params.numbers",
           "sklearn.params.no-envelope", "sklearn.params.value", "canonical.estimator",
           "canonical.typed-json"]


def base_clauses(produced=True):
    return (["sklearn.encode.members"] if produced else []) + DECODED


# ----------------------------------------------------------------------------------------------
# Valid vectors
# ----------------------------------------------------------------------------------------------

LOGREG = "LogisticRegression(C=0.5, max_iter=200)"   # the spec's example
OPTIONS = ("{'b': [1, 2.5, None, True, 'x'], 'a': {'z': -0.0, 'y': [], 'x': {}}, 'Z': '', "
           "'\\u00e9': 'caf\\u00e9', '\\uff01': 'fullwidth !', '\\U0001f600': 'emoji', "
           "'big': [9007199254740991, -9007199254740991], "
           "'tiny': [5e-324, 2.2250738585072014e-308], 'huge': 1.7976931348623157e308}")

ESTIMATORS = [
    # (id, expression, description, extra clauses)
    ("linear-regression", "LinearRegression()", "LinearRegression() defaults (tol 1e-06 is a float)", []),
    ("logistic-regression", LOGREG, "LogisticRegression(C=0.5, max_iter=200), the spec's example", []),
    ("random-forest-max-features-float", "RandomForestClassifier(max_features=1.0)",
     "RandomForestClassifier(max_features=1.0): the float 1.0, all features", ["sklearn.params.numbers"]),
    ("random-forest-max-features-int", "RandomForestClassifier(max_features=1)",
     "RandomForestClassifier(max_features=1): the integer 1, one feature (another value)",
     ["sklearn.params.numbers"]),
    ("standard-scaler", "StandardScaler()", "StandardScaler() defaults, all booleans", []),
    ("kmeans", "KMeans(n_clusters=3, random_state=0)", "KMeans(n_clusters=3, random_state=0)", []),
    ("mlp-classifier-tuple", "MLPClassifier(hidden_layer_sizes=(10, 5))",
     "MLPClassifier(hidden_layer_sizes=(10, 5)): the tuple is written as an array", []),
    ("mlp-classifier-list", "MLPClassifier(hidden_layer_sizes=[10, 5])",
     "MLPClassifier(hidden_layer_sizes=[10, 5]): a list gives the tuple's envelope", []),
    ("min-max-scaler", "MinMaxScaler(feature_range=(0, 1))",
     "MinMaxScaler(feature_range=(0, 1)): a tuple of integers", []),
    ("lars-numpy-float64-default", "Lars()",
     "Lars() whose default eps is a numpy.float64, written as a float", []),
    ("logistic-regression-exponents", "LogisticRegression(tol=1e-20, C=1e22)",
     "LogisticRegression(tol=1e-20, C=1e22): floats written 1e-20 and 1e+22", []),
    ("svc-class-weight-strings", "SVC(class_weight={'spam': 2.0, 'ham': 1})",
     "SVC with a class_weight dict keyed by strings", []),
    ("tfidf-vectorizer-dtype-string", "TfidfVectorizer(dtype='float64')",
     "TfidfVectorizer with dtype given as a string: a backslashed token_pattern, a tuple", []),
    ("user-estimator-defaults", "SciwireDemoEstimator()",
     "user BaseEstimator subclass: float, int, non-ASCII string, tuple with -0.0", []),
    ("user-estimator-nested", f"SciwireDemoEstimator(alpha=2, n_iter=-3, flag=False, options={OPTIONS})",
     "user BaseEstimator subclass: nested dict/list params, extremes, code-point key order",
     ["canonical.typed-json"]),
]


# The rows of canonical-value.md's typed-tree table, by node.
NODE_ROW = {"null": "null", "int": "an integer", "float": "a float", "string": "a string",
            "array": "an array", "object": "an object"}


def node_rows(node) -> list:
    """[canonical.typed-json] rows of the nodes in a typed tree, depth first."""
    (kind, inner), = node.items()
    row = ("true" if inner else "false") if kind == "bool" else NODE_ROW[kind]
    out = [f"canonical.typed-json[{row}]"]
    if kind == "array":
        for n in inner:
            out += node_rows(n)
    elif kind == "object":
        for _, n in inner:
            out += node_rows(n)
    return out


def add_valid(S, vid, description, expr, clauses=(), tags=None, version=None):
    """A valid vector of run(expr)'s envelope; an ESTIMATORS entry also cites the typed-tree rows
    its params hold."""
    est = run(expr)
    env = estimator_env(est) if version is None else estimator_env(est, version=version[0])
    value = canon_env(env)
    rows = node_rows(value["params"]) if any(e[1] == expr for e in ESTIMATORS) else []
    S.valid(vid, description, uniq(list(clauses) + base_clauses() + rows), {"json": env}, value,
            src(expr), tags)
    return env


def valid_vectors(S: Suite):
    for suffix, expr, desc, extra in ESTIMATORS:
        if suffix == "logistic-regression":
            extra = ENVELOPE_OK + SKLEARN_ALL + ["vector.equivalent"]
        add_valid(S, f"sklearn-{suffix}", desc, expr, extra)
    S.group("eq-sklearn-mlp-tuple-or-list", "a tuple and a list parameter give one array",
            ["sklearn-mlp-classifier-tuple", "sklearn-mlp-classifier-list"])
    # the value of the spec's example, as canonical-value.md shows part of it
    ex = S.vectors["sklearn-logistic-regression"][1]["expect"]["value"]
    members = dict(ex["params"]["object"])
    assert members["C"] == {"float": "3fe0000000000000"} and members["max_iter"] == {"int": 200}
    assert members["class_weight"] == {"null": None}

    # version null: the producer could not tell the scikit-learn version
    env = estimator_env(run("LinearRegression()"), version=None)
    S.valid("sklearn-version-null", "LinearRegression() from a producer that could not tell the version",
            uniq(["sklearn.version", "sklearn.required"] + base_clauses()), {"json": env}, canon_env(env),
            src("LinearRegression()", "version written null, as the producer does when "
                                      "sklearn.__version__ is missing"), tags=["interpretation"])
    env0 = without(env, "codecVersion")
    S.valid("sklearn-v0-version-null", "v0 LinearRegression() envelope with version null",
            uniq(["sklearn.version", "sklearn.legacy-v0", "envelope.legacy-v0"] + base_clauses(False)),
            {"json": env0}, canon_env(env), src("LinearRegression()", "version null, codecVersion removed"))
    S.group("eq-sklearn-version-null", "version null in version 1 and v0",
            ["sklearn-version-null", "sklearn-v0-version-null"])

    legacy_and_extension_vectors(S)
    text_vectors(S)


def legacy_and_extension_vectors(S: Suite):
    env = estimator_env(run(LOGREG))
    value = canon_env(env)
    members = ["sklearn-logistic-regression"]
    V0 = ["envelope.legacy-v0", "sklearn.legacy-v0", "sklearn.required"]
    EXT = ["envelope.extension-members", "envelope.unknown-fields", "sklearn.no-code"]
    meta = {"producer": "sciwire-vectors", "pickle": None, "params": {"C": 99}}
    for vid, desc, e2, cl, m in [
            ("sklearn-v0-logistic-regression", "v0 envelope of the spec's example", without(env, "codecVersion"),
             V0, "codecVersion removed"),
            ("sklearn-extension-object", "estimator envelope with an x- member holding an object",
             {**env, "x-meta": meta}, EXT, "x-meta object member added"),
            ("sklearn-extension-first", "estimator envelope with an x- member before the marker",
             {"x-first": [1.0, 1], **env}, EXT, "x-first member placed before __tywrap__"),
            ("sklearn-v0-extension", "v0 estimator envelope with an x-pickle member (ignored)",
             {**without(env, "codecVersion"), "x-pickle": "gASV"}, V0 + EXT,
             "codecVersion removed, x-pickle added")]:
        S.valid(vid, desc, uniq(cl + base_clauses(False)), {"json": e2}, value, src(LOGREG, m))
        members.append(vid)
    rev = {**{k: env[k] for k in reversed(list(env)) if k != "params"},
           "params": {k: env["params"][k] for k in reversed(list(env["params"]))}}
    S.valid("sklearn-member-order-reversed", "estimator envelope and params with members in reverse order",
            uniq(["sklearn.params.value"] + base_clauses(False)), {"json": rev}, value,
            src(LOGREG, "members of the envelope and of params reversed"))
    members.append("sklearn-member-order-reversed")
    S.group("eq-sklearn-logistic-regression-forms",
            "the spec's example in version 1 and v0, with x- members and permuted members", members)

    # x- inside params is a parameter like any other: part of the value
    e3 = with_(env, params={**env["params"], "x-note": "kept"})
    S.valid("sklearn-params-x-member", "a params member named x-note is a parameter, not an extension",
            uniq(["sklearn.params.value", "envelope.extension-members"] + base_clauses(False)),
            {"json": e3}, canon_env(e3), src(LOGREG, "params member x-note added"), tags=["interpretation"])
    # an envelope inside an x- member of the envelope is ignored with it; not a nested envelope
    e4 = {**env, "x-origin": {"__tywrap__": "sklearn.estimator", "className": "Pipeline", "params": {}}}
    S.valid("sklearn-extension-holding-envelope", "an x- member holding an envelope-like object is ignored",
            uniq(["envelope.extension-members", "sklearn.params.no-envelope"] + base_clauses(False)),
            {"json": e4}, value, src(LOGREG, "x-origin member holding a __tywrap__ object added"),
            tags=["interpretation"])
    # __tywrap__ as a string value, and names that only resemble it, are plain parameters
    texpr = "SciwireDemoEstimator(label='__tywrap__', options={'__TYWRAP__': 'ndarray', '_tywrap_': 1, " \
            "'x': ['__tywrap__']})"
    add_valid(S, "sklearn-user-estimator-marker-lookalikes",
              "user estimator with the string __tywrap__ as a value and names that only resemble it",
              texpr, ["sklearn.params.no-envelope"], tags=["interpretation"])
    # nothing is compared with the decoder's scikit-learn version
    e5 = with_(env, version="0.24.2")
    S.valid("sklearn-version-other-release", "version 0.24.2, another release than the decoder's",
            uniq(["sklearn.version"] + base_clauses(False)), {"json": e5}, canon_env(e5),
            src(LOGREG, "version 1.9.1 -> 0.24.2"), tags=["interpretation"])


def text_vectors(S: Suite):
    """Spellings: escapes in names, numbers with the same kind and value, whitespace."""
    env = estimator_env(run(LOGREG))
    value = canon_env(env)
    plain = dumps_env(env)
    assert '"C": 0.5' in plain and '"max_iter": 200' in plain, plain

    def t(vid, desc, text, clauses, expr=LOGREG, tags=None):
        val = json.loads(text)
        value = {"kind": "estimator", "className": val["className"], "module": val["module"],
                 "version": val["version"], "params": typed(val["params"])}
        S.valid(vid, desc, uniq(clauses + base_clauses(False)), {"text": text}, value,
                hand(f"exact JSON spelling of the envelope the producer writes for {expr}"), tags)
        return vid

    g = ["sklearn-logistic-regression"]
    g.append(t("sklearn-text-escaped-names", "className, module and param names with \\u escapes",
               plain.replace('"LogisticRegression"', '"Logistic\\u0052egression"')
                    .replace('"sklearn.linear_model._logistic"', '"sk\\u006cearn.linear\\u005fmodel._logistic"')
                    .replace('"C": 0.5', '"\\u0043": 0.5').replace('"max_iter"', '"max\\u005fiter"')
                    .replace('"className"', '"cl\\u0061ssName"'),
               ["sklearn.params.value", "sklearn.class-name", "sklearn.module", "json.duplicate-keys"]))
    g.append(t("sklearn-text-float-spellings", "C written 5e-1 and tol 1.0E-4: floats of the same values",
               plain.replace('"C": 0.5', '"C": 5e-1').replace('"tol": 0.0001', '"tol": 1.0E-4'),
               ["sklearn.params.numbers", "json.numbers"]))
    g.append(t("sklearn-text-whitespace", "estimator envelope with CR, LF and tab between tokens",
               "\r\n" + plain.replace(", ", ",\n\t").replace(": ", " :\r\n") + "\t",
               ["json.syntax"]))
    S.group("eq-sklearn-logistic-regression-spellings",
            "the spec's example with escaped names, other float spellings and whitespace", g)

    # 1.5 vs 15e-1: one float
    denv = estimator_env(run("SciwireDemoEstimator()"))
    dplain = dumps_env(denv)
    assert '"alpha": 1.5' in dplain
    g = ["sklearn-user-estimator-defaults"]
    for vid, spelled in [("15e-1", "15e-1"), ("1-50", "1.50"), ("0-15e1", "0.15E+1")]:
        g.append(t(f"sklearn-text-alpha-{vid}", f"user estimator alpha 1.5 written {spelled}",
                   dplain.replace('"alpha": 1.5', f'"alpha": {spelled}'), ["sklearn.params.numbers",
                                                                          "json.numbers"],
                   expr="SciwireDemoEstimator()"))
    S.group("eq-sklearn-float-1-5-spellings", "1.5, 15e-1, 1.50 and 0.15E+1 are one float", g)

    # max_features: 1.0 and 1e0 are the float; 1 (and -0-free spellings) the integer
    fplain = dumps_env(estimator_env(run("RandomForestClassifier(max_features=1.0)")))
    assert '"max_features": 1.0' in fplain
    g = ["sklearn-random-forest-max-features-float"]
    for vid, spelled in [("1e0", "1e0"), ("1-000", "1.000")]:
        g.append(t(f"sklearn-text-max-features-{vid}", f"max_features written {spelled}: the float 1.0",
                   fplain.replace('"max_features": 1.0', f'"max_features": {spelled}'),
                   ["sklearn.params.numbers", "json.numbers"], expr="RandomForestClassifier(max_features=1.0)",
                   tags=["interpretation"]))
    S.group("eq-sklearn-max-features-float", "max_features 1.0, 1e0 and 1.000: one float, all features", g)
    iplain = dumps_env(estimator_env(run("RandomForestClassifier(max_features=1)")))
    t("sklearn-text-max-features-int-text", "max_features written 1 in the text: the integer",
      iplain, ["sklearn.params.numbers"], expr="RandomForestClassifier(max_features=1)")
    S.group("eq-sklearn-max-features-int", "max_features 1 as json and as exact text: the integer",
            ["sklearn-random-forest-max-features-int", "sklearn-text-max-features-int-text"])

    kplain = dumps_env(estimator_env(run("KMeans(n_clusters=3, random_state=0)")))
    assert '"random_state": 0' in kplain
    S.group("eq-sklearn-kmeans-minus-0", "random_state 0 and -0: both the integer 0",
            ["sklearn-kmeans", t("sklearn-text-integer-minus-0", "KMeans random_state written -0: the integer 0",
                                 kplain.replace('"random_state": 0', '"random_state": -0'),
                                 ["sklearn.params.numbers", "canonical.typed-json", "json.numbers"],
                                 expr="KMeans(n_clusters=3, random_state=0)", tags=["interpretation"])])
    t("sklearn-text-integer-extremes", "integers 9007199254740991 and -9007199254740991 in params",
      dplain.replace('"n_iter": 10', '"n_iter": [9007199254740991, -9007199254740991]'),
      ["sklearn.params.numbers"], expr="SciwireDemoEstimator()", tags=["boundary"])
    t("sklearn-text-float-beyond-2-53", "floats 9007199254740993.0 and 1e20: floats need no range",
      dplain.replace('"n_iter": 10', '"n_iter": [9007199254740993.0, 1e20, -1E+300]'),
      ["sklearn.params.numbers", "json.numbers"], expr="SciwireDemoEstimator()", tags=["boundary"])
    t("sklearn-text-float-underflow", "float 1e-400 rounds to 0.0, a finite float",
      dplain.replace('"alpha": 1.5', '"alpha": 1e-400'), ["sklearn.params.numbers", "json.numbers"],
      expr="SciwireDemoEstimator()", tags=["boundary"])
    t("sklearn-text-params-escapes", "param string values with escapes: \\n, \\\", \\\\, \\u00e9, surrogates",
      dplain.replace('"label": "h\\u00e9llo \\u4e2d\\u6587 \\ud83d\\ude00"',
                     '"label": "line\\nbreak \\"q\\" back\\\\slash \\u00e9 \\ud83d\\ude00 \\/"'),
      ["sklearn.params.value", "json.syntax"], expr="SciwireDemoEstimator()")
    # Nested params: each level of params is three levels of its typed tree, so a runner that
    # parses the canonical value with a depth limit of 128 (serde_json's) needs params < ~40 deep.
    deep = '{"d": ' * 32 + "[1, 1.0]" + "}" * 32
    t("sklearn-text-params-nested-32", "params with an object nested 32 deep, ending in [1, 1.0]",
      dplain.replace('"options": null', '"options": ' + deep), ["sklearn.params.value", "json.depth"],
      expr="SciwireDemoEstimator()")


# ----------------------------------------------------------------------------------------------
# Encode vectors
# ----------------------------------------------------------------------------------------------

def encode_vectors(S: Suite):
    ENC = ["sklearn.encode.members", "canonical.estimator", "canonical.typed-json"]
    names = [f"sklearn-{s}" for s, _, _, _ in ESTIMATORS] + ["sklearn-version-null", "sklearn-params-x-member",
                                                              "sklearn-text-integer-extremes",
                                                              "sklearn-text-float-beyond-2-53",
                                                              "sklearn-text-params-escapes",
                                                              "sklearn-text-params-nested-32"]
    for vid in names:
        _, vec = S.vectors[vid]
        extra = ["sklearn.encode.refuse"] if vid in ("sklearn-user-estimator-nested",
                                                    "sklearn-text-integer-extremes",
                                                    "sklearn-text-float-beyond-2-53") else []
        what = vec["description"]
        S.encode(vid.replace("sklearn-", "sklearn-encode-", 1), f"estimator encoder round trip: {what}",
                 uniq(ENC + extra + ["sklearn.params.value", "sklearn.params.numbers"]),
                 vec["expect"]["value"], "json", {"roundtrip": True}, vec["source"])

    REF = ["sklearn.encode.refuse"]
    for vid, desc, expr, code, extra in [
            ("float-nan", "a float param NaN", "LogisticRegression(C=float('nan'))", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("float-inf", "OPTICS(), whose default max_eps is +inf", "OPTICS()", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("float-minus-inf", "a nested float -inf",
             "SciwireDemoEstimator(options={'bounds': [0.0, float('-inf')]})", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("int-2-53", "max_iter=2**53", "LogisticRegression(max_iter=2**53)", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("int-2-53-plus-1", "max_iter=2**53+1, which tywrap writes", "LogisticRegression(max_iter=2**53 + 1)",
             "E_VALUE_DOMAIN", ["sklearn.params.numbers", "canonical.typed-json"]),
            ("int-minus-2-53", "n_iter=-2**53", "SciwireDemoEstimator(n_iter=-2**53)", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("int-minus-2-63-nested", "an int -2**63 inside a list",
             "SciwireDemoEstimator(options={'seeds': [1, -2**63]})", "E_VALUE_DOMAIN",
             ["sklearn.params.numbers", "canonical.typed-json"]),
            ("dict-with-marker", "a dict param holding a __tywrap__ member",
             "SciwireDemoEstimator(options={'__tywrap__': 'ndarray', 'data': [1]})", "E_NESTED_ENVELOPE",
             ["sklearn.params.no-envelope", "canonical.typed-json"]),
            ("deep-dict-with-marker", "a __tywrap__ member deep inside a param",
             "SciwireDemoEstimator(options={'a': [{'b': {'__tywrap__': 'scipy.sparse'}}]})",
             "E_NESTED_ENVELOPE", ["sklearn.params.no-envelope", "canonical.typed-json"]),
            ("class-name-space", "a class named 'a b' (type() allows it)",
             "type('a b', (BaseEstimator,), {'__module__': 'sciwire_gen.sklearn_estimator'})()",
             "E_VALUE_DOMAIN", ["sklearn.class-name"]),
            ("class-name-non-ascii", "the user class Schätzer, a non-ASCII identifier", "Schätzer()",
             "E_VALUE_DOMAIN", ["sklearn.class-name"]),
            ("class-name-dotted", "a class named 'linear_model.LinearRegression'",
             "type('linear_model.LinearRegression', (BaseEstimator,), {'__module__': 'sklearn'})()",
             "E_VALUE_DOMAIN", ["sklearn.class-name"]),
            ("module-empty", "a class whose __module__ is ''",
             "type('Plain', (BaseEstimator,), {'__module__': ''})()", "E_VALUE_DOMAIN", ["sklearn.module"]),
            ("module-space", "a class whose __module__ is 'my package.models'",
             "type('Plain', (BaseEstimator,), {'__module__': 'my package.models'})()", "E_VALUE_DOMAIN",
             ["sklearn.module"]),
            ("module-trailing-dot", "a class whose __module__ is 'models.'",
             "type('Plain', (BaseEstimator,), {'__module__': 'models.'})()", "E_VALUE_DOMAIN",
             ["sklearn.module"])]:
        est = run(expr)
        refused, got = refusal(est)
        assert refused and got == code, (vid, got)
        S.encode(f"sklearn-encode-refuse-{vid}", f"estimator encoder refuses {desc}",
                 REF + extra + ["canonical.estimator"], canon(est), "json", {"error": code}, src(expr))

    pexpr = "Pipeline([('scale', StandardScaler()), ('model', LogisticRegression())])"
    assert refusal(run(pexpr)) == (True, "E_NESTED_ENVELOPE")
    S.encode("sklearn-encode-refuse-pipeline-nested", "estimator encoder refuses a Pipeline whose steps hold "
             "estimators (as nested envelopes)",
             REF + ["sklearn.params.no-envelope", "canonical.typed-json", "canonical.estimator"],
             canon(run(pexpr), nested=True), "json", {"error": "E_NESTED_ENVELOPE"},
             src(pexpr, "each step's estimator written as a nested envelope (the producer "
                        "recursing, which the spec forbids)"))

    # An object with two members of one name: what tywrap's json.dumps makes of {0: 1, '0': 2}
    dexpr = "SVC(class_weight={0: 1, '0': 2})"
    assert refusal(run(dexpr)) == (True, None)
    svc = canon(run("SVC()"))
    dup = copy.deepcopy(svc)
    for pair in dup["params"]["object"]:
        if pair[0] == "class_weight":
            pair[1] = {"object": [["0", {"int": 1}], ["0", {"int": 2}]]}
    S.encode("sklearn-encode-refuse-duplicate-member", "estimator encoder refuses a typed object with two "
             "members named 0", ["json.duplicate-keys", "canonical.typed-json", "sklearn.encode.refuse",
                                 "canonical.estimator"], dup, "json", {"error": "E_JSON_DUPLICATE_KEY"},
             src(dexpr, "keys stringified as tywrap 0.10's producer does (json.dumps), giving "
                        "class_weight two members named \"0\"; a sciwire producer refuses the int key"))
    dup_top = with_(svc, params={"object": svc["params"]["object"] + [["C", {"float": "3ff0000000000000"}]]})
    dup_top["params"]["object"].sort(key=lambda p: p[0])
    S.encode("sklearn-encode-refuse-duplicate-param", "estimator encoder refuses params with C twice",
             ["json.duplicate-keys", "canonical.typed-json", "canonical.estimator"], dup_top, "json",
             {"error": "E_JSON_DUPLICATE_KEY"}, src("SVC()", "params member C added a second time"))

    # What the producer refuses without any code (not plain JSON): no canonical value exists.
    for expr in ["TfidfVectorizer()", "CountVectorizer()", "SelectKBest()",
                 "KMeans(random_state=np.random.RandomState(0))",
                 "MLPClassifier(hidden_layer_sizes=np.array([10, 5]))", "StandardScaler(copy=np.True_)",
                 "LogisticRegression(max_iter=np.int64(5))", "SVC(class_weight={0: 1.0, 1: 2.0})",
                 "SciwireDemoEstimator(options={1.5: 'x'})", "SciwireDemoEstimator(options={'s': {1, 2}})"]:
        assert refusal(run(expr)) == (True, None), expr
    assert refusal(run("GridSearchCV(SVC(), {'C': [1, 10]})"))[0]
    assert MAX_SAFE == 2**53 - 1
