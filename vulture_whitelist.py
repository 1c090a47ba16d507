"""Names vulture reports as unused that are used by something it cannot see: templates, Flask, SQLAlchemy,
WTForms, Jinja's sandbox, the standard library's and other libraries' hooks, RQ and pytest. Never imported.

Route functions, CLI commands, fixtures, tests, migrations and the handlers of http.server and aiosmtpd are left
out by `ignore_decorators` and `ignore_names` in pyproject.toml; what is listed here is each one by name.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Columns kept for the record (the follow-up log, audits, the forms F-06-02-01/02): written, read by templates,
# reports or SQL, or kept as history.
_.acknowledged_at
_.approved_at
_.created_by_id
_.deactivated_at
_.decided_at
_.deferred_reason
_.fired_at
_.invited_by_id
_.last_login_at
_.published_at
_.published_by_id
_.rated_at
_.registered_at
_.secret_hint
_.uploaded_at
_.uploaded_by_id
_.withdrawn_at
# Deadline rules: the model's columns and the settings form's fields of the same names.
_.acknowledge_unit
_.respond_unit
_.resolve_amount
_.resolve_unit

# Enum members, stored and compared as their values.
_.API
_.COMPLIMENT
_.HIGH
_.IN_PERSON
_.LETTER
_.LOW
_.SUGGESTION
_.SUGGESTION_BOX
_.URGENT

# Read by templates only.
_.add_label
_.category_names
_.code_busy
_.custom_items
_.earlier_decisions
_.handler_name
_.name_en
_.name_fa
_.name_kk
_.name_ru
_.password_again
_.root_causes
_.unit_names

# Flask and Flask-Login: g.private_page is read as g.get("private_page"); the rest is Flask-Login's interface.
_.get_id
_.is_anonymous
_.login_message
_.login_message_category
_.private_page

# SQLAlchemy: a type decorator, a hybrid property's SQL side, event listeners' arguments.
_.cache_ok
_.flush_context
_.impl
_.instances
_.process_bind_param
_.process_result_value
_._awaited_expression

# WTForms: the form's Meta hook, a field's rendered value, validation hooks, widgets.
_.Meta
_.bind_field
_._value
_.option_widget
_.pre_validate
_.widget

# Jinja's sandbox (the notice templates' limits).
_.call_binop
_.code_generator_class
_.concat
_.intercepted_binops
_.is_safe_attribute
_.visit_Concat
_.__self

# Hooks of the standard library, httpx/httpcore and RQ that we override or set.
_.close_connection
_.connect_tcp
_.daemon_threads
_.handle_data
_.handle_endtag
_.handle_starttag
_.max_connection_wait_time
_._create_socket
_._get_socket
_._network_backend

# Jobs enqueued by their dotted name, a proxy fault called by name (getattr), aiosmtpd's authenticator argument.
_.mechanism
_.noop
_.note_where_it_ran
_.stall

# Counted by the mailbox poll and read by nothing yet.
_.ignored

# The home page's and the reports' figures, read by their templates (web/templates/console/home.html, reports/).
_.escalated  # InboxFilter's flags, read by name from the URL and in _FLAG_CONDITIONS
_.replied
_.good_share
_.actions_overdue
_.tiles
_.caption
_.headline
_.staff_member_id  # ExportRecord's who, read by SQL and audits
_.acknowledge_hours  # Complaint's working hours per step, read by name in services/reports/timeliness.py
_.respond_hours
_.resolve_hours

# The records' fields read by their templates (web/templates/records/, console/reports/review.html).
_.status_note
_.period_first  # management reviews' and audit samples' periods, shown by their pages
_.size_asked
_.drawn_by_id
_.scored_by_id
_.scored_at
_.not_applicable  # an audit's counts, printed (web/templates/records/audit_sample.html)
_.scored
_.pubsub_thread  # RQ's worker reads it to stop its command thread (workers/jobs.py's PromptExit sets it)

# Signing in: what the security page and the security log show (web/templates/account/, settings/security.html).
_.last_used_at
_.second_factor  # the factor a session passed, kept for the security log's readers
_.dadras_client  # set in g by the request hook, read by tenants.sessions.client()
_.passkey_name  # the passkey form's field, read by web/static/passkeys.js
_._new_conn  # urllib3 calls it to connect (services/gateways/http.py's checked connections)
_.ConnectionCls  # urllib3's pools make their connections of this class
_.pool_classes_by_scheme  # urllib3's pool manager reads it
_.trust_env  # requests reads it: no proxy from the environment
_.client_cls  # Authlib's apps make their sessions of this class
_.max_content_length  # Werkzeug reads it on the request: the largest body a hook takes
