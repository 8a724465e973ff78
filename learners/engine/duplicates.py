"""The third pass of the rules: stored records and earlier rows of the same batch.

603 Credit ID used, 709 / 717 same learner + activity + date, 710 / 711 MOC points beyond the
activity's offer for this learner, 751 repeat participation, and for delete rows 605 / 606 / 607.
Pure like the rest of the rules: the loader put the records in the context. Rows apply in file
order: a Delete row finds a record an earlier Add row of the same batch made, and an Add after a
Delete of the same completion is no duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from learners.engine.codes import error
from learners.engine.facts import ADD, DELETE, ExistingRecord, Judgement, RuleContext, Who
from learners.engine.values import format_date

_TRANSMITTED = "transmitted"


def judge_duplicates(j: Judgement, ctx: RuleContext) -> None:
    """Third pass: stored records and earlier rows of this batch (603, 709, 717, 710, 711, 751;
    605, 606, 607 for deletes)."""
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
    stored = ctx.live_by_key.get(key)
    if stored and any(not _replays(j, r, ctx) for r in _live(ctx, stored)):
        shown = format_date(completion)
        j.errors.append(error("709", activity_id=activity.activity_id, completion_date=shown))
    elif earlier is not None:
        row_number = earlier[0]
        code = "717" if j.has_moc else "709"  # 717 is the MOC form of the rule
        detail = {"activity_id": activity.activity_id, "other_row": row_number}
        j.errors.append(error(code, completion_date=format_date(completion), **detail))
    if not activity.repeat_participation:
        judge_repeat(j, ctx, (who, activity.pk))
    if j.moc:
        judge_points_granted(j, ctx, who)


def _live(ctx: RuleContext, records: Sequence[ExistingRecord]) -> Sequence[ExistingRecord]:
    """Stored live records, less those a Delete row earlier in this batch removed."""
    deleted = ctx.batch.deleted
    if not deleted or not records:
        return records
    return [r for r in records if r.pk not in deleted]


def judge_credit_id(j: Judgement, ctx: RuleContext) -> None:
    """603: each Credit ID is used once; a REMS report's participants share theirs."""
    for credit_id in j.credit_ids or (j.credit_id,):
        stored = ctx.records_by_credit_id.get(credit_id)
        if stored and any(_replays(j, record, ctx) for record in stored):
            j.replay = True
        elif stored:
            j.errors.append(error("603", credit_id=credit_id, previous="a stored record"))
            return
        earlier = ctx.batch.credit_ids.get(credit_id)
        if earlier is not None and not (j.row.report and earlier[1] == j.row.report):
            previous = f"row {earlier[0]} of this batch"
            j.errors.append(error("603", credit_id=credit_id, previous=previous))
            return


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
        for r in _live(ctx, ctx.live_by_completion.get(key, ()))
        if r.completion_date != j.completion and not _replays(j, r, ctx)
    }
    earlier = ctx.batch.completions.get(key)
    if earlier is not None and earlier != j.completion:
        other_dates.add(earlier)
    if other_dates:
        other = format_date(min(other_dates))
        j.errors.append(error("751", activity_id=j.activity.activity_id, other_date=other))


def judge_points_granted(j: Judgement, ctx: RuleContext, who: Who) -> None:
    """710 / 711: a learner's MOC points on an activity add up to the board's offer at most."""
    activity, board, points = j.activity, j.board, j.points
    if not j.has_moc or activity is None or board is None or points is None or j.errors:
        return
    registration = activity.moc.get(board.code)
    if registration is None:
        return
    granted = sum(
        (
            r.moc_points or Decimal(0)
            for r in _live(ctx, ctx.live_by_completion.get((who, activity.pk), ()))
            if r.board_pk == board.pk and not _replays(j, r, ctx)
        ),
        Decimal(0),
    )
    granted += ctx.batch.points.get((who, activity.pk, board.pk), Decimal(0))
    if granted >= registration.points:
        j.errors.append(error("710"))
    elif granted + points > registration.points:
        j.errors.append(error("711"))


def judge_delete_target(j: Judgement, ctx: RuleContext) -> None:
    """605 by Credit ID; otherwise 606 by board id (or NPI, licence, REMS id) + activity + date;
    607 while the board holds the record (transmitted, not answered yet).

    Deleting a record that is already deleted is accepted and changes nothing, so a retried
    batch of deletes gives the same answer the second time.
    """
    activity = j.activity
    if activity is None or any(e.code == "706" for e in j.errors):
        return
    credit_id = j.row.credit_id.strip()
    if credit_id:
        added = next(
            (a for a in ctx.batch.added_by_credit_id.get(credit_id, ()) if _same_target(j, a)),
            None,
        )
        record = _by_credit_id(j, ctx, credit_id)
        if added is not None:
            _delete_added(j, ctx, added)
        elif record is None or record.activity_pk != activity.pk:
            j.errors.append(error("605", credit_id=credit_id))
        else:
            _delete_stored(j, ctx, record)
        return
    if j.completion is None:
        return
    described = describe_delete_identity(j)
    same_day = ctx.batch.added_by_completion.get((activity.pk, j.completion), ())
    added = next((a for a in same_day if described and identifies_added(j, a)), None)
    if added is not None:
        _delete_added(j, ctx, added)
        return
    candidates = ctx.records_by_activity_date.get((activity.pk, j.completion), ())
    found = [r for r in candidates if described and identifies(j, r)]
    if not found:
        missing = (
            "no Learner Local ID" if j.rems_rules else "no Certifying Board ID, NPI or licence"
        )
        j.errors.append(
            error(
                "606",
                identity=described or missing,
                activity_id=activity.activity_id,
                completion_date=format_date(j.completion),
            )
        )
        return
    _delete_stored(j, ctx, next((r for r in found if r.live), found[0]))


def _by_credit_id(j: Judgement, ctx: RuleContext, credit_id: str) -> ExistingRecord | None:
    stored = [r for r in ctx.records_by_credit_id.get(credit_id, ())]
    if j.rems_rules and j.rems:  # a REMS report's id names every participant: take this one
        stored = [r for r in stored if r.rems_local_id == j.rems["rems_learner_local_id"]]
    return next((r for r in stored if r.live), stored[0] if stored else None)


def _delete_stored(j: Judgement, ctx: RuleContext, record: ExistingRecord) -> None:
    if record.status == _TRANSMITTED:
        j.errors.append(error("607"))
        return
    j.delete_record = record
    if record.live:
        ctx.batch.deleted.add(record.pk)


def _delete_added(j: Judgement, ctx: RuleContext, added: Judgement) -> None:
    """A Delete of a record an earlier Add row of this batch made: later rows no longer see it."""
    j.delete_added = added
    batch = ctx.batch
    for credit_id in added.credit_ids or (added.credit_id,):
        batch.credit_ids.pop(credit_id, None)
        _discard(batch.added_by_credit_id, credit_id, added)
    who, activity, completion = added.who, added.activity, added.completion
    if activity is not None and completion is not None:
        _discard(batch.added_by_completion, (activity.pk, completion), added)
    if who is not None and activity is not None and completion is not None:
        batch.keys.pop((who, activity.pk, completion), None)
        batch.completions.pop((who, activity.pk), None)
        if added.board is not None and added.points is not None:
            key = (who, activity.pk, added.board.pk)
            batch.points[key] = batch.points.get(key, Decimal(0)) - added.points


def _discard(index: dict, key: object, added: Judgement) -> None:
    kept = [a for a in index.get(key, ()) if a is not added]
    if kept:
        index[key] = kept
    else:
        index.pop(key, None)


def _same_target(j: Judgement, added: Judgement) -> bool:
    """A Delete by Credit ID of an earlier Add: same activity (and participant, for REMS)."""
    if added.activity is None or j.activity is None or added.activity.pk != j.activity.pk:
        return False
    return not (j.rems_rules and j.rems) or identifies_added(j, added)


def describe_delete_identity(j: Judgement) -> str:
    if j.rems_rules:
        return f"Learner Local ID '{j.rems['rems_learner_local_id']}'" if j.rems else ""
    if j.board and j.board_id:
        return f"{j.board.code} Certifying Board ID '{j.board_id}'"
    if j.npi:
        return f"NPI {j.npi}"
    if j.state and j.license_id:
        return f"{j.state} licence '{j.license_id}'"
    return ""


def identifies(j: Judgement, record: ExistingRecord) -> bool:
    if j.rems_rules:
        return bool(j.rems) and record.rems_local_id == j.rems["rems_learner_local_id"]  # type: ignore[index]
    if j.board and j.board_id:
        return record.board_pk == j.board.pk and record.diplomate_id == j.board_id
    if j.npi and record.npi == j.npi:
        return True
    if j.state and j.license_id:
        return record.licensing_state == j.state and (
            record.license_id.upper() == j.license_id.upper()
        )
    return False


def identifies_added(j: Judgement, added: Judgement) -> bool:
    """`identifies` for a record an earlier Add row of this batch is making."""
    if j.rems_rules:
        mine = j.rems.get("rems_learner_local_id") if j.rems else None
        theirs = added.rems.get("rems_learner_local_id") if added.rems else None
        return mine is not None and mine == theirs
    if j.board and j.board_id:
        return added.board is j.board and added.board_id == j.board_id
    if j.npi and added.npi == j.npi:
        return True
    if j.state and j.license_id:
        return added.state == j.state and added.license_id.upper() == j.license_id.upper()
    return False


def remember(j: Judgement, ctx: RuleContext) -> None:
    """After an add row is accepted: later rows of the batch see what it claimed."""
    batch = ctx.batch
    for credit_id in j.credit_ids or (j.credit_id,):
        batch.credit_ids.setdefault(credit_id, (j.row.row_number, j.row.report))
        batch.added_by_credit_id.setdefault(credit_id, []).append(j)
    if j.activity is not None and j.completion is not None:
        batch.added_by_completion.setdefault((j.activity.pk, j.completion), []).append(j)
    who = j.who
    if who is None or j.activity is None or j.completion is None:
        return
    batch.keys.setdefault((who, j.activity.pk, j.completion), (j.row.row_number, j.has_moc))
    batch.completions.setdefault((who, j.activity.pk), j.completion)
    if j.has_moc and j.board is not None and j.points is not None:
        key = (who, j.activity.pk, j.board.pk)
        batch.points[key] = batch.points.get(key, Decimal(0)) + j.points
