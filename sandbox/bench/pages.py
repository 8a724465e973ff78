"""The staff screens, exports and web-service look-ups, timed through the real views.

A Django test `Client` logged in as the big provider's staff goes through URL routing,
middleware, the views and their templates; the web services get their PARS envelopes.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from learners.models import CompletionRecord, RecordStatus
from portal.models import Provider, WebServiceAccount
from sandbox.bench.timing import Timing, measure

LEARNER_NS = "http://schemas.datacontract.org/2004/07/ACCMEDataServices.ServiceObjects"
ACTIVITY_NS = "http://schemas.datacontract.org/2004/07/BLL.Service"
WS_USER, WS_PASSWORD = "ws@bench.example", "bench-ws-password"


@dataclass(frozen=True)
class Sample:
    """Real values of the big provider to search for."""

    provider: Provider
    record: CompletionRecord


def sample(provider: Provider) -> Sample:
    record = (
        CompletionRecord.objects.for_provider(provider)
        .filter(status=RecordStatus.APPROVED)
        .select_related("learner", "activity", "board")
        .order_by("id")
        .first()
    )
    if record is None or record.learner is None:
        raise RuntimeError(f"Provider {provider.accme_id} has no approved record to search for.")
    return Sample(provider, record)


def staff_client(provider: Provider) -> Client:
    user = get_user_model().objects.get(membership__provider=provider)
    client = Client()
    client.force_login(user)
    return client


def page_requests(s: Sample) -> dict[str, str]:
    """Every screen and filter staff use, as URLs."""
    r, learner = s.record, s.record.learner
    assert learner is not None
    summary, search = reverse("learners:activity_summary"), reverse("learners:learner_search")
    day = r.completion_date.strftime("%m/%d/%Y")
    return {
        "summary": summary,
        "summary_title": f"{summary}?{urlencode({'title': 'grand rounds 1'})}",
        "summary_provider_activity_id": f"{summary}?provider_activity_id={r.activity.provider_activity_id}",
        "summary_program_board": f"{summary}?program={r.board.code if r.board else 'ABIM'}",
        "summary_program_cme": f"{summary}?program=CME",
        "summary_reporting_year": f"{summary}?reporting_year={r.activity.reporting_year}",
        "summary_page_3": f"{summary}?page=3",
        "activity": reverse("learners:activity_detail", args=[r.activity.activity_id]),
        "search": search,
        "search_page_40": f"{search}?page=40",
        "search_name": f"{search}?{urlencode({'first_name': learner.first_name, 'last_name': learner.last_name})}",
        "search_board_id": f"{search}?board_id={r.diplomate_id}",
        "search_npi": f"{search}?npi_or_license={learner.npi}",
        "search_birth": f"{search}?birth_month={learner.birth_month}&birth_day={learner.birth_day}",
        "search_activity": f"{search}?activity={r.activity.activity_id}",
        "search_dates": f"{search}?{urlencode({'completed_from': day, 'completed_to': day})}",
        "search_status": f"{search}?status={RecordStatus.SUBMITTED}",
        "upload_history": reverse("uploads:history"),
    }  # fmt: skip


def export_requests() -> dict[str, str]:
    return {
        f"export_{screen}_{fmt}": reverse(f"learners:{screen}_export", kwargs={"fmt": fmt})
        for screen in ("activity_summary", "learner_search")
        for fmt in ("csv", "xlsx")
    }


def _envelope(root: str, namespace: str, fields: dict[str, str]) -> str:
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in sorted(fields.items()))
    return f'<{root} xmlns="{namespace}">{inner}</{root}>'


def ws_requests(s: Sample) -> dict[str, tuple[str, str, str]]:
    """The look-ups an LMS makes: path, envelope, and a text the answer must hold."""
    r, learner = s.record, s.record.learner
    assert learner is not None
    auth = {"User": WS_USER, "Password": WS_PASSWORD, "ProviderId": s.provider.accme_id}
    by_learner = {
        "ActivityId": r.activity.activity_id, "BirthMonth": str(learner.birth_month),
        "BirthDay": str(learner.birth_day), "CompletionDate": r.completion_date.isoformat(),
        "UniqueId": r.diplomate_id or learner.npi or "",
    }  # fmt: skip
    get_activity = {"ProviderActivityId": r.activity.provider_activity_id, "SchemaVersion": "3"}
    return {
        "ws_by_learner": (
            reverse("webservices:get_learner_status_by_learner"),
            _envelope("LearnerStatusSearchByLearner", LEARNER_NS, {**auth, **by_learner}),
            f"Activity Id: {r.activity.activity_id}",
        ),
        "ws_by_credit_id": (
            reverse("webservices:get_learner_status_by_credit_id"),
            _envelope("LearnerStatusSearchByCreditId", LEARNER_NS, {**auth, "CreditId": r.credit_id}),
            f"Activity Id: {r.activity.activity_id}",
        ),
        "ws_get_activity": (
            reverse("webservices:get_activity"),
            _envelope("SearchCriteria", ACTIVITY_NS, {**auth, **get_activity}),
            r.activity.activity_id,
        ),
    }  # fmt: skip


def ws_account(provider: Provider) -> None:
    account, _ = WebServiceAccount.objects.get_or_create(provider=provider, username=WS_USER)
    account.set_password(WS_PASSWORD)
    account.save()


def _checked(response: Any, name: str) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {response.status_code}")
    return response


def measure_pages(s: Sample, *, repeats: int) -> Iterator[Timing]:
    client = staff_client(s.provider)
    for name, url in page_requests(s).items():

        def call(url: str = url, name: str = name) -> object:
            return _checked(client.get(url, secure=True), name).content

        yield measure(name, "page", call, repeats=repeats)


def measure_ws(s: Sample, *, repeats: int) -> Iterator[Timing]:
    ws_account(s.provider)
    client = Client()
    for name, (path, body, expected) in ws_requests(s).items():

        def call(
            path: str = path, body: str = body, name: str = name, expected: str = expected
        ) -> object:
            response = client.post(path, data=body, content_type="application/xml", secure=True)
            if expected.encode() not in response.content:
                raise RuntimeError(f"{name}: {response.content[:300]!r}")
            return _checked(response, name).content

        yield measure(name, "ws", call, repeats=repeats)


def _first_byte(response: HttpResponseBase) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return next(iter(response.streaming_content))  # type: ignore[arg-type]
    return response.content  # type: ignore[attr-defined]


def measure_exports(s: Sample, *, repeats: int) -> Iterator[Timing]:
    """Time to the first byte of each export, then one full read under tracemalloc."""
    client = staff_client(s.provider)
    for name, url in export_requests().items():

        def call(url: str = url, name: str = name) -> object:
            response = _checked(client.get(url, secure=True), name)
            first = _first_byte(response)
            response.close()
            return first

        timing = measure(name, "export", call, repeats=repeats, warmup=1)
        timing.note = _full_read(partial(client.get, url, secure=True))
        yield timing


def _full_read(get: Callable[[], HttpResponseBase]) -> str:
    """The whole file: its size and read time, then the peak memory of reading it again."""
    started = time.perf_counter()
    response = get()
    streamed = isinstance(response, StreamingHttpResponse)
    size = sum(len(chunk) for chunk in response) if streamed else len(response.content)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        for _chunk in get():  # type: ignore[attr-defined]
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    kind = "streamed" if streamed else "NOT streamed"
    return (
        f"{kind}: {size / 2**20:.1f} MiB in {seconds:.1f} s, peak {peak / 2**20:.1f} MiB (traced)"
    )
