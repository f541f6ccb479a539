"""The tax period: PLE generation (stored ZIP, regenerated only while open), the close that proves itself (a
closing record with the PLE hashes and the trial balance, signed with the closer's own certificate and
verifiable later), the database lock of a closed month (triggers of migration 0012) and the ADMIN's reopening.
"""

import base64
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select, text
from sqlmodel import Session

from core import audit
from core.errors import Conflict, FieldError, Forbidden, NotFound, UnprocessableError, ValidationError
from integrations.storage import get_storage
from models.finanzas import FirmaUsuario, PeriodoTributario
from services import configuracion as configuracion_srv
from services.finanzas import libros, ple

ACEPTADOS = ("ACEPTADO", "OBSERVADO", "ANULADO")


def _periodo(session: Session, periodo: str, bloquear: bool = False) -> PeriodoTributario:
    ple.validar_periodo(periodo)
    anio, mes = int(periodo[:4]), int(periodo[4:])
    session.execute(text("INSERT INTO periodos_tributarios (anio, mes, estado) VALUES (:a, :m, 'ABIERTO') "
                         "ON CONFLICT (anio, mes) DO NOTHING"), {"a": anio, "m": mes})
    q = select(PeriodoTributario).where(PeriodoTributario.anio == anio, PeriodoTributario.mes == mes)
    return session.execute(q.with_for_update() if bloquear else q).scalar_one()


def _clave_zip(periodo: str, huella: str) -> str:
    return f"ple/{periodo}/{huella}.zip"


# --- PLE ------------------------------------------------------------------------------------------------------


@dataclass
class PleGenerado:
    periodo: PeriodoTributario
    archivos: dict[str, str]  # name -> sha256
    lineas: dict[str, int]


def generar_ple(session: Session, periodo: str) -> PleGenerado:
    """POST /api/finanzas/tributario/generar-ple/: the five books, zipped and stored. A closed period keeps
    the files it was closed with (409)."""
    registro = _periodo(session, periodo, bloquear=True)
    if registro.estado == "CERRADO":
        raise Conflict(f"El periodo {periodo} está cerrado: su PLE no se regenera", field="periodo")
    archivos = ple.generar_archivos(session, periodo)
    huella = ple.huella_total(archivos)
    clave = _clave_zip(periodo, huella)
    get_storage().put(clave, ple.comprimir(archivos))
    registro.ple_huella, registro.ple_zip_path, registro.ple_generado_at = huella, clave, datetime.now(UTC)
    session.add(registro)
    session.commit()
    return PleGenerado(registro, ple.huellas(archivos),
                       {nombre: datos.count(b"\r\n") for nombre, datos in archivos.items()})


def zip_ple(session: Session, periodo: str) -> tuple[str, bytes]:
    registro = _periodo(session, periodo)
    session.commit()
    if registro.ple_zip_path is None:
        raise NotFound(f"El PLE de {periodo} aún no se generó")
    return f"PLE_{periodo}.zip", get_storage().get(registro.ple_zip_path)


# --- the user's digital signature -------------------------------------------------------------------------------


def registrar_firma(session: Session, usuario_id: int, pfx: bytes, password: str) -> FirmaUsuario:
    cert = configuracion_srv.abrir_pfx(pfx, password, "pfx_base64")
    if cert.not_valid_after_utc < datetime.now(UTC):
        raise ValidationError("El certificado está vencido", field="pfx_base64")
    firma = session.get(FirmaUsuario, usuario_id) or FirmaUsuario(usuario_id=usuario_id, pfx=b"", password="",
                                                                   titular="")
    firma.pfx, firma.password = pfx, password
    firma.titular, firma.vence = cert.subject.rfc4514_string()[:200], cert.not_valid_after_utc
    session.add(firma)
    session.commit()
    return firma


# --- close --------------------------------------------------------------------------------------------------


def balance_comprobacion(session: Session, periodo: str) -> list[dict]:
    """Per account with movement in the period: Σdebe, Σhaber (the trial balance the closing record signs)."""
    inicio, fin = ple.validar_periodo(periodo)
    filas = session.execute(text("""
        SELECT c.codigo, sum(l.debe) AS debe, sum(l.haber) AS haber FROM lineas_asiento l
        JOIN cuentas_contables c ON c.id = l.cuenta_id WHERE l.fecha >= :i AND l.fecha < :f
        GROUP BY c.codigo ORDER BY c.codigo"""), {"i": inicio, "f": fin})
    return [{"cuenta": f.codigo, "debe": str(f.debe), "haber": str(f.haber)} for f in filas]


def bloqueos(session: Session, periodo: str, registro: PeriodoTributario) -> list[FieldError]:
    """Everything that keeps the month from closing, each with a reason a contador can act on."""
    inicio, fin = ple.validar_periodo(periodo)
    errores = [FieldError("comprobantes", f"{f.serie}-{f.numero} ({f.estado_sunat}) sin aceptación de SUNAT")
               for f in session.execute(text(
                   "SELECT serie, numero, estado_sunat FROM comprobantes WHERE fecha_emision >= :i "
                   "AND fecha_emision < :f AND NOT (estado_sunat = ANY(:ok)) ORDER BY serie, numero"),
                   {"i": inicio, "f": fin, "ok": list(ACEPTADOS)})]
    descuadrados = session.execute(text("""
        SELECT a.cuo, sum(l.debe) - sum(l.haber) AS diferencia FROM asientos_contables a
        LEFT JOIN lineas_asiento l ON l.asiento_id = a.id WHERE a.fecha >= :i AND a.fecha < :f
        GROUP BY a.cuo HAVING coalesce(sum(l.debe) - sum(l.haber), 1) <> 0"""), {"i": inicio, "f": fin})
    errores += [FieldError("asientos", f"Asiento {f.cuo} descuadrado (diferencia {f.diferencia})")
                for f in descuadrados]
    if registro.ple_huella is None:
        errores.append(FieldError("ple", "Genere el PLE del periodo antes de cerrarlo"))
    elif registro.ple_huella != ple.huella_total(ple.generar_archivos(session, periodo)):
        errores.append(FieldError("ple", "Los datos cambiaron después de generar el PLE: vuelva a generarlo"))
    return errores


def _firmar(firma: FirmaUsuario, contenido: bytes) -> tuple[str, str]:
    clave, cert, _ = pkcs12.load_key_and_certificates(firma.pfx, firma.password.encode())
    assert clave is not None and cert is not None  # checked when the PFX was uploaded
    signature = clave.sign(contenido, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode(), cert.public_bytes(serialization.Encoding.PEM).decode()


def cerrar(session: Session, usuario_id: int, periodo: str) -> PeriodoTributario:
    """POST /api/finanzas/tributario/cerrar-periodo/. 403 without the user's own certificate; 400 with the
    list of blockers; otherwise CERRADO with a signed closing record. One transaction."""
    firma = session.get(FirmaUsuario, usuario_id)
    if firma is None:
        raise Forbidden("Cerrar un periodo requiere su firma digital: registre su certificado (PFX) primero",
                        field="firma")
    registro = _periodo(session, periodo, bloquear=True)
    if registro.estado == "CERRADO":
        raise Conflict(f"El periodo {periodo} ya está cerrado")
    # Writes in flight finish first and new ones wait for the close (migration 0015): the PLE, its hashes and
    # the month's sums are of data the period trigger then keeps from changing.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('finanzas_cierre_periodo'))"))
    errores = bloqueos(session, periodo, registro)
    if errores:
        raise ValidationError(f"El periodo {periodo} no puede cerrarse: {len(errores)} pendiente(s)", errors=errores)
    archivos = ple.generar_archivos(session, periodo)
    ahora = datetime.now(UTC)
    acta = {"periodo": periodo, "ruc": configuracion_srv.obtener(session).ruc, "cerrado_por": usuario_id,
            "fecha_cierre": ahora.isoformat(), "ple": ple.huellas(archivos), "ple_huella": registro.ple_huella,
            "balance_comprobacion": balance_comprobacion(session, periodo)}
    contenido = json.dumps(acta, sort_keys=True, ensure_ascii=False)
    registro.cierre_firma, registro.cierre_certificado = _firmar(firma, contenido.encode())
    registro.cierre_json, registro.estado = contenido, "CERRADO"
    registro.firmado_por, registro.fecha_cierre = usuario_id, ahora
    session.add(registro)
    libros.guardar_saldos_mensuales(session, periodo)
    session.commit()
    return registro


@dataclass
class Verificacion:
    valido: bool
    firma_valida: bool
    ple_intacto: bool
    datos_sin_cambios: bool
    firmante: str
    detalle: list[str]


def verificar(session: Session, periodo_id: int) -> Verificacion:
    """GET …/periodos/{id}/verificar/: the signature over the closing record, the stored ZIP against the hashes
    it signed, and today's data against them (nothing changed since the close)."""
    registro = session.get(PeriodoTributario, periodo_id)
    if registro is None:
        raise NotFound("Periodo no encontrado")
    if registro.cierre_json is None:
        raise UnprocessableError("El periodo no está cerrado: no hay acta que verificar")
    cert = x509.load_pem_x509_certificate(registro.cierre_certificado.encode())
    detalle = []
    try:
        cert.public_key().verify(base64.b64decode(registro.cierre_firma), registro.cierre_json.encode(),
                                 padding.PKCS1v15(), hashes.SHA256())
        firma_valida = True
    except InvalidSignature:
        firma_valida = False
        detalle.append("La firma no corresponde al acta de cierre (acta alterada)")
    acta = json.loads(registro.cierre_json)
    with zipfile.ZipFile(io.BytesIO(get_storage().get(registro.ple_zip_path))) as z:
        guardados = ple.huellas({n: z.read(n) for n in z.namelist()})
    ple_intacto = guardados == acta["ple"]
    if not ple_intacto:
        detalle.append("Los archivos PLE guardados no coinciden con los firmados")
    periodo = f"{registro.anio}{registro.mes:02d}"
    actuales = ple.huellas(ple.generar_archivos(session, periodo))
    sin_cambios = actuales == acta["ple"] and balance_comprobacion(session, periodo) == acta["balance_comprobacion"]
    if not sin_cambios:
        detalle.append("Los datos del periodo cambiaron después del cierre")
    return Verificacion(firma_valida and ple_intacto and sin_cambios, firma_valida, ple_intacto, sin_cambios,
                        cert.subject.rfc4514_string(), detalle)


def reabrir(session: Session, periodo_id: int, rol: str, motivo: str) -> PeriodoTributario:
    """Only an ADMIN, with a reason (audited). The closing record is kept in the audit trail."""
    if rol != "ADMIN":
        raise Forbidden("Solo un administrador puede reabrir un periodo cerrado")
    registro = session.execute(select(PeriodoTributario).where(PeriodoTributario.id == periodo_id)
                               .with_for_update()).scalar_one_or_none()
    if registro is None:
        raise NotFound("Periodo no encontrado")
    if registro.estado != "CERRADO":
        raise Conflict("El periodo no está cerrado")
    audit.record(session, "finanzas", "reabrir", "periodos_tributarios", str(registro.id),
                 {"motivo": motivo, "acta": registro.cierre_json, "firma": registro.cierre_firma})
    registro.estado, registro.cierre_json, registro.cierre_firma, registro.cierre_certificado = (
        "ABIERTO", None, None, None)
    registro.fecha_cierre, registro.firmado_por = None, None
    session.add(registro)
    libros.borrar_saldos_mensuales(session, f"{registro.anio}{registro.mes:02d}")
    session.commit()
    return registro


def listar(session: Session) -> list[PeriodoTributario]:
    return list(session.execute(select(PeriodoTributario).order_by(PeriodoTributario.anio.desc(),
                                                                  PeriodoTributario.mes.desc())).scalars())

