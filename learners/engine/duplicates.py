"""The third pass of the rules: stored records and earlier rows of the same batch.

603 Credit ID used, 709 / 717 same learner + activity + date, 751 repeat participation, and for
delete rows 605 / 606. Pure like the rest of the rules: the loader put the records in the context.
"""

from __future__ import annotations

from learners.engine.codes import error
from learners.engine.facts import ADD, DELETE, ExistingRecord, Judgement, RuleContext
from learners.engine.values import format_date


def judge_duplicates(j: Judgement, ctx: RuleContext) -> None:
    """Third pass: stored records and earlier rows of this batch (603, 709, 717, 751; 605, 606)."""
    if j.action == DELETE:
        judge_delete_target(j, ctx)
        return
    if j.action != ADD:
        return
    judge_credit_id(j, ctx)
    who, activity, completion = j.who, j.activity, j.completion
    if who is None or activity is None or completion is None:
        return
    key = (who, activity.pk, completion)
    earlier = ctx.batch.keys.get(key)
    if any(not _replays(j, r, ctx) for r in ctx.live_by_key.get(key, ())):
        shown = format_date(completion)
        j.errors.append(error("709", activity_id=activity.activity_id, completion_date=shown))
    elif earlier is not None:
        row_number, had_moc = earlier
        code = "717" if (had_moc or j.has_moc) else "709"  # 717 is the MOC form of the rule
        detail = {"activity_id": activity.activity_id, "other_row": row_number}
        j.errors.append(error(code, completion_date=format_date(completion), **detail))
    if not activity.repeat_participation:
        judge_repeat(j, ctx, (who, activity.pk))


def judge_credit_id(j: Judgement, ctx: RuleContext) -> None:
    existing = ctx.records_by_credit_id.get(j.credit_id)
    if existing is not None:
        if _replays(j, existing, ctx):
            j.replay = True
        else:
            j.errors.append(error("603", credit_id=j.credit_id, previous="a stored record"))
            return
    earlier_row = ctx.batch.credit_ids.get(j.credit_id)
    if earlier_row is not None:
        previous = f"row {earlier_row} of this batch"
        j.errors.append(error("603", credit_id=j.credit_id, previous=previous))


def _replays(j: Judgement, record: ExistingRecord, ctx: RuleContext) -> bool:
    """True when `record` is this very row, stored by an earlier run of the same batch.

    File rows get deterministic Credit IDs, and a re-run upload knows its own records (same
    upload, same source row), so a retried upload finds what it stored before: those are not
    duplicates. Otherwise a Credit ID given by the submitter that is already used is (603).
    """
    same_upload_row = (
        ctx.upload_id is not None
        and record.upload_id == ctx.upload_id
        and record.source_row == j.row.row_number
    )
    return (
        (j.credit_id_generated or same_upload_row)
        and record.credit_id == j.credit_id
        and j.activity is not None
        and record.activity_pk == j.activity.pk
        and record.completion_date == j.completion
        and record.who == j.who
    )


def judge_repeat(j: Judgement, ctx: RuleContext, key: tuple) -> None:
    """751: an activity without repeat participation takes one completion per learner."""
    assert j.activity is not None and j.completion is not None
    other_dates = {
        r.completion_date
        for r in ctx.live_by_completion.get(key, ())
        if r.completion_date != j.completion and not _replays(j, r, ctx)
    }
    earlier = ctx.batch.completions.get(key)
    if earlier is not None and earlier != j.completion:
        other_dates.add(earlier)
    if other_dates:
        other = format_date(min(other_dates))
        j.errors.append(error("751", activity_id=j.activity.activity_id, other_date=other))


def judge_delete_target(j: Judgement, ctx: RuleContext) -> None:
    """605 by Credit ID; otherwise 606 by board id (or NPI, licence, REMS id) + activity + date.

    Deleting a record that is already deleted is accepted and changes nothing, so a retried
    batch of deletes gives the same answer the second time.
    """
    activity = j.activity
    if activity is None or any(e.code == "706" for e in j.errors):
        return
    credit_id = j.row.credit_id.strip()
    if credit_id:
        record = ctx.records_by_credit_id.get(credit_id)
        if record is None or record.activity_pk != activity.pk:
            j.errors.append(error("605", credit_id=credit_id))
        else:
            j.delete_record = record
        return
    if j.completion is None:
        return
    described = describe_delete_identity(j)
    candidates = ctx.records_by_activity_date.get((activity.pk, j.completion), ())
    found = [r for r in candidates if described and identifies(j, r)]
    if not found:
        j.errors.append(
            error(
                "606",
                identity=described or "no Certifying Board ID, NPI or licence",
                activity_id=activity.activity_id,
                completion_date=format_date(j.completion),
            )
        )
        return
    j.delete_record = next((r for r in found if r.live), found[0])


def describe_delete_identity(j: Judgement) -> str:
    if j.board and j.board_id:
        return f"{j.board.code} Certifying Board ID '{j.board_id}'"
    if j.npi:
        return f"NPI {j.npi}"
    if j.state and j.license_id:
        return f"{j.state} licence '{j.license_id}'"
    if j.rems:
        return f"Learner Local ID '{j.rems['rems_learner_local_id']}'"
    return ""


def identifies(j: Judgement, record: ExistingRecord) -> bool:
    if j.board and j.board_id:
        return record.board_pk == j.board.pk and record.diplomate_id == j.board_id
    if j.npi and record.npi == j.npi:
        return True
    if j.state and j.license_id:
        return record.licensing_state == j.state and (
            record.license_id.upper() == j.license_id.upper()
        )
    if j.rems:
        return record.rems_local_id == j.rems["rems_learner_local_id"]
    return False


def remember(j: Judgement, ctx: RuleContext) -> None:
    """After an add row is accepted: later rows of the batch see what it claimed."""
    batch = ctx.batch
    batch.credit_ids.setdefault(j.credit_id, j.row.row_number)
    who = j.who
    if who is None or j.activity is None or j.completion is None:
        return
    batch.keys.setdefault((who, j.activity.pk, j.completion), (j.row.row_number, j.has_moc))
    batch.completions.setdefault((who, j.activity.pk), j.completion)
