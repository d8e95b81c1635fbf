"""Checklist templates: versioned; an edit to a version that runs use makes a new version."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError

from shared import db
from shared.errors import Conflict, NotFound
from tenantapp.audit.service import record
from tenantapp.checklists.models import (
    ChecklistRun,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ChecklistTemplateVersion,
)


def _version(sess, template: ChecklistTemplate) -> ChecklistTemplateVersion:
    return sess.scalar(
        select(ChecklistTemplateVersion).where(
            ChecklistTemplateVersion.template_id == template.id,
            ChecklistTemplateVersion.version == template.current_version,
        )
    )


def version_items(sess, version_id: int) -> list[ChecklistTemplateItem]:
    return list(
        sess.scalars(
            select(ChecklistTemplateItem)
            .where(ChecklistTemplateItem.version_id == version_id)
            .order_by(ChecklistTemplateItem.position, ChecklistTemplateItem.id)
        )
    )


def _add_items(tx, version_id: int, items: list[dict]) -> None:
    for item in items:
        tx.add(ChecklistTemplateItem(version_id=version_id, **item))


def _service_type_taken(exc: IntegrityError) -> Conflict:
    return Conflict("Another template already covers this service type (or is the default).")


def view(template: ChecklistTemplate) -> dict:
    sess = db.session()
    version = _version(sess, template)
    return {
        "id": template.id,
        "name": template.name,
        "service_type": template.service_type,
        "version": template.current_version,
        "items": [
            {"label": i.label, "phase": i.phase, "required": i.required, "position": i.position}
            for i in version_items(sess, version.id)
        ],
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


def list_templates() -> list[ChecklistTemplate]:
    return list(db.session().scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.id)))


def get_template(template_id: int) -> ChecklistTemplate:
    template = db.session().get(ChecklistTemplate, template_id)
    if template is None:
        raise NotFound("No such checklist template.")
    return template


def create_template(data: dict) -> ChecklistTemplate:
    """A new template at version 1."""
    try:
        with db.transaction() as tx:
            template = ChecklistTemplate(
                name=data["name"], service_type=data.get("service_type"), current_version=1
            )
            tx.add(template)
            tx.flush()
            version = ChecklistTemplateVersion(template_id=template.id, version=1)
            tx.add(version)
            tx.flush()
            _add_items(tx, version.id, data["items"])
            record(tx, "checklist_template.create", "checklist_template", template.id, None, data)
    except IntegrityError as exc:
        raise _service_type_taken(exc) from exc
    return template


def update_template(template_id: int, data: dict) -> ChecklistTemplate:
    """Replace name, service type and items. If any run uses the current version, the items go
    into a new version (runs keep theirs); otherwise the current version is rewritten."""
    try:
        with db.transaction() as tx:
            template = tx.get(ChecklistTemplate, template_id, with_for_update=True)
            if template is None:
                raise NotFound("No such checklist template.")
            before = view(template)
            version = _version(tx, template)
            used = tx.scalar(select(exists().where(ChecklistRun.template_version_id == version.id)))
            if used:
                template.current_version += 1
                version = ChecklistTemplateVersion(
                    template_id=template.id, version=template.current_version
                )
                tx.add(version)
                tx.flush()
            else:
                tx.execute(
                    delete(ChecklistTemplateItem).where(
                        ChecklistTemplateItem.version_id == version.id
                    )
                )
            _add_items(tx, version.id, data["items"])
            template.name, template.service_type = data["name"], data.get("service_type")
            template.updated_at = func.now()
            tx.flush()
            record(
                tx,
                "checklist_template.update",
                "checklist_template",
                template.id,
                before,
                {**data, "version": template.current_version},
            )
    except IntegrityError as exc:
        raise _service_type_taken(exc) from exc
    db.session().refresh(template)
    return template


def delete_template(template_id: int) -> None:
    """Delete a template and its versions; one that any run used → 409 (runs point at it)."""
    with db.transaction() as tx:
        template = tx.get(ChecklistTemplate, template_id, with_for_update=True)
        if template is None:
            raise NotFound("No such checklist template.")
        used = tx.scalar(
            select(
                exists()
                .where(ChecklistRun.template_version_id == ChecklistTemplateVersion.id)
                .where(ChecklistTemplateVersion.template_id == template.id)
            )
        )
        if used:
            raise Conflict("Bookings have checklists from this template; it cannot be deleted.")
        before = view(template)
        tx.delete(template)
        record(tx, "checklist_template.delete", "checklist_template", template_id, before, None)


def template_for(sess, service_type: str) -> ChecklistTemplate | None:
    """The template for ``service_type``, else the default (service type NULL).

    FOR SHARE: an edit or delete of the template (FOR UPDATE) waits for the run being created,
    then sees it and makes a new version / refuses, so a run never snapshots items that are being
    rewritten in place.
    """
    return sess.scalar(
        select(ChecklistTemplate)
        .where(
            (ChecklistTemplate.service_type == service_type)
            | ChecklistTemplate.service_type.is_(None)
        )
        .order_by(ChecklistTemplate.service_type.is_(None))
        .with_for_update(read=True)
    )


def current_version(sess, template: ChecklistTemplate) -> ChecklistTemplateVersion:
    return _version(sess, template)
