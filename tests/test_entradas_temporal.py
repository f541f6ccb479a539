"""Workflow and activity payloads are dataclasses: every registered workflow, signal, update and activity takes
one dataclass (or nothing), workflows call activities by function, and histories recorded while the
facturación and notas-de-venta workflows still took dicts replay on today's code.

The rule is checked on what the worker registers (`worker.workflows()` / `worker.activities()`), so a module
added later is covered without listing it here."""

import dataclasses
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

import worker

HISTORIAS = Path(__file__).parent / "historias"


def _parametros(fn: Callable) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def _dataclass_de(hint: object) -> type | None:
    """The dataclass `hint` names (`X` or `X | None`), or None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        resto = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = resto[0] if len(resto) == 1 else None
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


def _faltas(que: str, fn: Callable) -> list[str]:
    """Why `fn` breaks the rule: more than one parameter, or one that is not a dataclass (an optional one is
    only for a workflow a schedule starts without arguments, so it must default to None)."""
    parametros = _parametros(fn)
    if len(parametros) > 1:
        return [f"{que}: {len(parametros)} parameters {[p.name for p in parametros]}; wrap them in one dataclass"]
    faltas = []
    for p in parametros:
        hint = typing.get_type_hints(fn).get(p.name)
        if _dataclass_de(hint) is None:
            faltas.append(f"{que}: parameter {p.name}: {hint} is not a dataclass")
        elif hint is not _dataclass_de(hint) and p.default is not None:
            faltas.append(f"{que}: optional parameter {p.name} must default to None")
    return faltas


def _manejadores(cls: type) -> list[tuple[str, Callable]]:
    definicion = workflow._Definition.must_from_class(cls)
    yield f"workflow {definicion.name}.run", definicion.run_fn
    for nombre, signal in definicion.signals.items():
        yield f"signal {definicion.name}.{nombre}", signal.fn
    for nombre, update in definicion.updates.items():
        yield f"update {definicion.name}.{nombre}", update.fn


def test_every_workflow_signal_and_update_takes_one_dataclass_or_nothing():
    faltas = [f for cls in worker.workflows() for que, fn in _manejadores(cls) for f in _faltas(que, fn)]
    assert faltas == []


def test_every_activity_takes_one_dataclass_or_nothing():
    actividades = worker.activities()
    assert len(actividades) >= 20  # every module's ACTIVITIES are collected
    faltas = [f for fn in actividades for f in _faltas(f"activity {fn.__temporal_activity_definition.name}", fn)]
    assert faltas == []


def test_workflows_call_activities_by_function_not_by_name():
    modulos = {inspect.getmodule(cls) for cls in worker.workflows()}
    por_nombre = re.compile(r"(execute|start)_(local_)?activity\(\s*[\"']")
    assert [m.__name__ for m in modulos if por_nombre.search(inspect.getsource(m))] == []


def _historias() -> list[Path]:
    return sorted(HISTORIAS.glob("*.json"))


@pytest.mark.parametrize("archivo", _historias(), ids=lambda p: p.stem)
async def test_histories_recorded_with_dict_payloads_replay(archivo: Path):
    """Recorded (against the local SUNAT sandbox) before the inputs became dataclasses: contingency with
    queued documents and a reenvío, data errors corrected, resumen diario and baja children, sales notes with
    updates and the `sincronizar` signal; and `gre-EntregaPedido-*`, dispatches recorded before the GRE
    re-send (`reenviar_gre`, patch "gre-reenvio"): accepted then EN_RUTA, rejected, not issued (ERROR). A
    mismatch raises a nondeterminism or decoding error here."""
    historia = json.loads(archivo.read_text())
    inicio = historia["events"][0]["workflowExecutionStartedEventAttributes"]
    assert inicio["workflowType"]["name"] in {workflow._Definition.must_from_class(c).name
                                              for c in worker.workflows()}
    resultado = await Replayer(workflows=worker.workflows()).replay_workflow(
        WorkflowHistory.from_json(archivo.stem, historia))
    assert resultado.replay_failure is None
