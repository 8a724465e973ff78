"""XML rows: the Member's UniqueIDs and the CreditCertificates, judged as Appendix B defines them.

A table row names its credits in columns; an `ar:ActivityReport` names each credit in a
`CreditCertificate` (an `activityCertification`, its `numberOfCredits` and a `CreditID`). These
rules turn the certificates into the same credit facts the column rules judge, with the codes the
guide gives for XML: 676 an activityCertification that is
neither AMA PRA Category 1 nor a board and one of its credit types, 677 no certificate at all,
678 one certification twice, 712 a UniqueID domain that is no kind of learner id.
"""

from __future__ import annotations

from decimal import Decimal

from learners.engine.codes import error
from learners.engine.facts import ADD, BoardFacts, Judgement, RuleContext
from learners.engine.names import name_key
from learners.engine.rows import Certificate
from learners.engine.states import state_code
from learners.engine.values import parse_credits

AMA_CERTIFICATION = "AMA PRA Category 1"
_AMA_KEY = name_key(AMA_CERTIFICATION)


def judge_member_ids(j: Judgement, ctx: RuleContext) -> None:
    """712: a UniqueID domain must be NPI, a licensing state (2 letters) or a certifying board."""
    for domain, _ in j.row.member_ids:
        if domain.upper() == "NPI" or state_code(domain) or domain.casefold() in ctx.boards:
            continue
        if len(domain) == 2 and domain.isascii() and domain.isalpha():
            continue  # a licensing state PARS doesn't know: 721, as in a file
        j.errors.append(error("712", value=domain or "(empty domain)"))


def judge_certificates(j: Judgement, ctx: RuleContext) -> None:
    """676, 677, 678; fills the credit facts (`moc`, `credit_pairs`) the column rules judge."""
    certificates = j.row.certificates or ()
    if j.action != ADD:
        return
    if not certificates:
        j.errors.append(error("677"))
        return
    seen: set[str] = set()
    for certificate in certificates:
        key = name_key(certificate.certification)
        if key in seen:
            j.errors.append(error("678", certificate=certificate.certification))
            continue
        seen.add(key)
        if key == _AMA_KEY:
            continue
        credit = board_credit(certificate, ctx)
        if credit is None:
            shown = certificate.certification or "(empty)"
            j.errors.append(error("676", value=shown))
            continue
        board, type_text = credit
        j.moc = True
        label = f"numberOfCredits of '{certificate.certification}'"
        same_board = j.board is None or board.pk == j.board.pk
        # A certificate of another board than the learner's keeps its full name: 735 names it.
        shown = type_text if same_board else certificate.certification
        j.credit_pairs.append((shown, certificate.points, label))


def board_credit(certificate: Certificate, ctx: RuleContext) -> tuple[BoardFacts, str] | None:
    """'ABIM Medical Knowledge' → (ABIM, 'Medical Knowledge') when ABIM has that credit type."""
    code, _, type_text = certificate.certification.partition(" ")
    board = ctx.boards.get(code.casefold())
    type_text = type_text.strip()
    if board is None or type_text.casefold() not in board.credit_types:
        return None
    return board, type_text


def certificate_points_total(j: Judgement) -> Decimal | None:
    """An XML row's MOC points: the sum of its board certificates, None unless every one is a
    valid amount (each certificate's own numberOfCredits is judged, and named, on its own)."""
    amounts = [parse_credits(points)[0] for _, points, _ in j.credit_pairs]
    if not amounts or any(amount is None for amount in amounts):
        return None
    return sum((a for a in amounts if a is not None), Decimal(0))
