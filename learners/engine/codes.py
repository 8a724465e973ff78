"""Every PARS error code in one registry: Appendix A (activities) and Appendix B (learners).

Each code keeps PARS's own wording (`pars_message`, for integrators who match on it) and a
`message` template that names the field and the value where PARS's wording is vague. Templates
use `str.format` placeholders filled from the keyword details given to `error()`; a template whose
details are missing falls back to PARS's message rather than failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from learners.engine.results import RowError


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    pars_message: str
    message: str = ""  # our clearer template; empty means PARS's message says it all

    def render(self, **detail: object) -> str:
        if not self.message:
            return self.pars_message
        try:
            return self.message.format_map(detail)
        except (KeyError, IndexError, ValueError):
            return self.pars_message


def _c(code: str, pars_message: str, message: str = "") -> Code:
    return Code(code=code, pars_message=pars_message, message=message)


# Appendix A: rejected activity record transactions (SaveActivity).
# PARS lists 999 twice ("General activity record processing error." and "Fatal Error: Please
# contact IT Support."); the registry keeps the first, which is what a rejected record gets.
ACTIVITY_CODES: tuple[Code, ...] = (
    _c("101", "Activity record action was not specified."),
    _c("102", "Activity record action invalid.", "Activity record action '{value}' is not valid (use Add, Update or Delete)."),
    _c("103", "Add action has duplicate of existing activity ID.", "Add action has a duplicate of existing activity ID {activity_id}."),
    _c("104", "Record not found. Update action has unknown activity ID.", "Record not found: Update action has unknown activity ID '{activity_id}'."),
    _c("105", "Record not found. Delete action has unknown activity ID.", "Record not found: Delete action has unknown activity ID '{activity_id}'."),
    _c("106", "Activity could not be deleted. Participant records exist for this activity.", "Activity {activity_id} could not be deleted: {count} participant records exist for it."),
    _c("107", "Activity record is a duplicate for an activity submitted to Board through non-ACCME methods and cannot be reported through PARS."),
    _c("200", "Missing number of AMA credits"),
    _c("202", "Missing ACCME Activity ID."),
    _c("203", "Missing Activity title."),
    _c("204", "No specialties included in record."),
    _c("205", "Missing Activity start date."),
    _c("206", "Missing MOC points.", "Missing MOC points for {board}."),
    _c("207", "Missing Variable MOC points."),
    _c("208", "Missing Patient safety approval status."),
    _c("209", "Missing reporting start date."),
    _c("210", "Missing reporting end date."),
    _c("211", "Missing activity format."),
    _c("212", "Missing providership."),
    _c("213", "Missing provider name."),
    _c("214", "Missing joint provider name."),
    _c("215", "Missing activity end date."),
    _c("216", "Missing Provider Activity ID."),
    _c("217", "Missing content outline elements"),
    _c("218", "Missing Medical Knowledge approval status"),
    _c("219", "Missing Practice Assessment approval status"),
    _c("220", "Missing activity URL"),
    _c("302", "ACCME Activity ID not valid.", "ACCME Activity ID '{value}' is not valid (9 digits)."),
    _c("303", "Activity title not valid.", "Activity title '{value}' is not valid."),
    _c("304", "Specialty not valid.", "Specialty '{value}' is not valid."),
    _c("305", "Activity start date not valid.", "Activity start date '{value}' is not valid."),
    _c("306", "MOC points not valid.", "MOC points '{value}' are not valid (a number above 0)."),
    _c("307", "Variable MOC points not valid.", "Variable MOC points '{value}' are not valid."),
    _c("308", "Patient safety approval status not valid.", "Patient safety approval status '{value}' is not valid."),
    _c("309", "Reporting start date not valid.", "Reporting start date '{value}' is not valid."),
    _c("310", "Reporting end date not valid.", "Reporting end date '{value}' is not valid."),
    _c("311", "Activity format not valid.", "Activity format '{value}' is not valid."),
    _c("312", "Providership not valid.", "Providership '{value}' is not valid."),
    _c("313", "Provider name not valid.", "Provider name '{value}' is not valid."),
    _c("314", "Joint provider name not valid.", "Joint provider name '{value}' is not valid."),
    _c("315", "Activity start date format is invalid. Expected yyyy-mm-ddT:00:00:00", "Activity start date '{value}' has an invalid format. Expected yyyy-mm-ddT00:00:00."),
    _c("316", "Activity end date format is invalid. Expected yyyy-mm-ddT:00:00:00", "Activity end date '{value}' has an invalid format. Expected yyyy-mm-ddT00:00:00."),
    _c("317", "Medical Knowledge approval status not valid.", "Medical Knowledge approval status '{value}' is not valid."),
    _c("318", "Practice Assessment approval status not valid.", "Practice Assessment approval status '{value}' is not valid."),
    _c("319", "MOC points not in increment of 0.25", "MOC points '{value}' are not in increments of 0.25."),
    _c("320", "Activity specialty/licensing board registration cannot be removed. Learner completion records exist for {Board acronym} and must be deleted before the activity registration can be removed.", "Activity specialty/licensing board registration cannot be removed. Learner completion records exist for {board} and must be deleted before the activity registration can be removed."),
    _c("321", "Activity REMS registration cannot be removed. REMS learner completion records exist for this activity and must be deleted before the REMS registration can be removed."),
    _c("322", "Activity is not pre-approved by ABOS to offer self-assessment examination credit."),
    _c("451", "Invalid User: Access Denied"),
    _c("452", "Invalid Reporting Year: Please enter in a valid year. Example: 2015", "Invalid Reporting Year '{value}': Please enter a valid year. Example: 2015"),
    _c("453", "Data could not be read. Please make sure that you are uploading XML data in the correct format."),
    _c("454", "Only one Activity at a time can be submitted thru this service."),
    _c("455", "Error Reading XML Web Service: [Error Message]", "Error Reading XML Web Service: {error}"),
    _c("456", "MEMS Element: entry: [XML Identifier], - Invalid data value/format for [Element Name]: [Data Value]", "MEMS Element: entry: {identifier}, - Invalid data value/format for {element}: {value}"),
    _c("457", "MEMS Element: entry:[XML Identifier], Element name: [Element Name] - Missing required field: [Field Name]", "MEMS Element: entry: {identifier}, Element name: {element} - Missing required field: {field}"),
    _c("458", "MEMS Element: entry: [XML Identifier], Element name: ActivityDescription/lom:lom/lom:general/lom:identifier/lom:catalog/lom:entry - ACCME ActivityID is invalid/does not exist", "MEMS Element: entry: {identifier}, Element name: ActivityDescription/lom:lom/lom:general/lom:identifier/lom:catalog/lom:entry - ACCME ActivityID '{value}' is invalid/does not exist"),
    _c("459", "MEMS Element: entry: [XML Identifier], Element name: mem:ActivityDescription/lom:lom/hx:healthcareMetadata/hx:healthcareEducation/hx:activityFormat - Invalid data value for Activity Type: [Activity Type]", "MEMS Element: entry: {identifier}, Element name: mem:ActivityDescription/lom:lom/hx:healthcareMetadata/hx:healthcareEducation/hx:activityFormat - Invalid data value for Activity Type: {value}"),
    _c("460", "MEMS Element: entry: [XML Identifier], Element name: mem:ActivityDescription/lom:lom/hx:healthcareMetadata/hx:healthcareEducation/hx:activityFormat - At least one subcategory is required for a Course or Internet Live Course", "MEMS Element: entry: {identifier}, Element name: mem:ActivityDescription/lom:lom/hx:healthcareMetadata/hx:healthcareEducation/hx:activityFormat - At least one subcategory is required for a Course or Internet Live Course"),
    _c("461", "MEMS Element: entry: [XML Identifier], Element name: [Element Name] - Invalid value for Reporting Year: [Data Value]. You cannot add or update activities for [Data Value] because the data for this year has already been attested as complete.", "MEMS Element: entry: {identifier}, Element name: {element} - Invalid value for Reporting Year: {value}. You cannot add or update activities for {value} because the data for this year has already been attested as complete."),
    _c("462", "MEMS Element: entry: [XML Identifier], Element name: [Element Name] - Invalid value for Reporting Year: [Data Value].", "MEMS Element: entry: {identifier}, Element name: {element} - Invalid value for Reporting Year: {value}."),
    _c("463", "MEMS Element: identifier: entry:[XML Identifier], Element name: [Element Name] - Invalid element.", "MEMS Element: identifier: entry: {identifier}, Element name: {element} - Invalid element."),
    _c("464", "MEMS Element: Update Reporting Year from [Existing Reporting Year] to [New Reporting Year] not permitted.", "MEMS Element: Update Reporting Year from {existing_year} to {new_year} not permitted."),
    _c("465", "MEMS Element: entry: [XML Identifier], Element name: [Element Name]: This activity record is assigned to a reporting year that is not currently available for entry of records.", "MEMS Element: entry: {identifier}, Element name: {element}: This activity record is assigned to a reporting year ({value}) that is not currently available for entry of records."),
    _c("466", "MEMS Element: entry: [XML Identifier], - Failed to add the activity", "MEMS Element: entry: {identifier}, - Failed to add the activity"),
    _c("467", "MEMS Element: entry: [XML Identifier], - Failed to update the activity", "MEMS Element: entry: {identifier}, - Failed to update the activity"),
    _c("468", "MEMS Element: entry: [XML Identifier], - Invalid data value/format for Credits Offered:[Credits Offered].", "MEMS Element: entry: {identifier}, - Invalid data value/format for Credits Offered: {value} (a number in steps of 0.25)."),
    _c("469", "Activity end date cannot be earlier than activity start date.", "Activity end date {end_date} cannot be earlier than activity start date {start_date}."),
    _c("472", "Keyword element(s) not valid for MOCA content outline.", "Keyword element(s) not valid for MOCA content outline: {value}."),
    _c("473", "MEMS Element: entry: [XML Identifier], Element name: [Element Name] - This activity is already closed and cannot be updated.", "MEMS Element: entry: {identifier}, Element name: {element} - This activity is already closed and cannot be updated."),
    _c("474", "Internal ID cannot be the Organization ID. Please enter a unique value for this field."),
    _c("475", "Credit Claim data cannot be before the activity end date listed for the activity", "Credit claim date {credit_claim_date} cannot be before the activity end date {end_date}."),
    _c("476", "An activity matching this ID already exists. Existing activities may not use the 'Add' record action.", "An activity matching ID '{value}' already exists. Existing activities may not use the 'Add' record action."),
    _c("477", "Duplicate Entry. Two or more activity records in this submission have the same ID. Please ensure all activities in this file have unique IDs.", "Duplicate Entry. Two or more activity records in this submission have the ID '{value}': the first was processed, this one was not. Please ensure all activities in this file have unique IDs."),
    _c("478", "Pharmacy sequence number already in use.", "Pharmacy sequence number '{value}' already in use."),
    _c("479", "Invalid data value/format for Commmendation Tag:", "Invalid data value/format for Commendation Tag: {value}"),
    _c("480", "Invalid data value/format for REMS Type:", "Invalid data value/format for REMS Type: {value}"),
    _c("481", "Closed activities may not be edited.", "Activity {activity_id} is closed: closed activities may not be edited."),
    _c("482", "Learners may not be reported for activities in the future."),
    _c("483", "This activity cannot be closed. Activities must have all required fields completed and an end date in the past to be closed."),
    _c("484", "Missing default credit type:", "Missing default credit type: {value}"),
    _c("485", "Invalid template"),
    _c("486", "Activity Format cannot be changed when individual learners have been reported"),
    _c("487", "Activity credit type cannot be submitted alone"),
    _c("488", "Invalid delivery method(s):", "Invalid delivery method(s): {value}"),
    _c("489", "Invalid count of Keyword element(s): {Count}", "Invalid count of Keyword element(s): {count}"),
    _c("490", "At least one practice area or specialty is required"),
    _c("491", "Invalid practice area or specialty", "Invalid practice area or specialty: {value}"),
    _c("492", "Activity cannot be deleted."),
    _c("999", "General activity record processing error."),
)  # fmt: skip

# Appendix B: rejected learner record transactions (files, SaveLearnerActivity, manual entry).
LEARNER_CODES: tuple[Code, ...] = (
    _c("601", "Learner record action was not specified.", "Record Action is missing (use Add or Delete)."),
    _c("602", "Learner record action is not valid.", "Record Action '{value}' is not valid (use Add or Delete)."),
    _c("603", "Duplicate record (Credit ID was same as a previous record).", "Duplicate record: Credit ID '{credit_id}' was already used by {previous}."),
    _c("605", "Record not found. Delete action has unknown credit ID.", "Record not found: Delete action has unknown Credit ID '{credit_id}'."),
    _c("606", "Record not found. Combination of diplomate ID, ACCME activity ID, and activity completion date was not found.", "Record not found: no record for {identity}, ACCME Activity ID {activity_id} and completion date {completion_date}."),
    _c("607", "Learner record deletion cannot be accepted by Board."),
    _c("621", "Missing diplomate ID.", "Certifying Board ID is missing (required when Certifying Board '{board}' is given)."),
    _c("622", "Missing diplomate first name.", "First Name is missing."),
    _c("623", "Missing diplomate last name.", "Last Name is missing."),
    _c("624", "Missing diplomate date of birth.", "Date of Birth is missing (use MM/DD)."),
    _c("630", "Missing ACCME activity ID.", "ACCME Activity ID is missing."),
    _c("631", "Missing activity completion date.", "Completion Date is missing (use MM/DD/YYYY)."),
    _c("632", "Missing MOC points.", "{field} is missing: MOC points are required when Certifying Board '{board}' is given."),
    _c("650", "Missing ACCME credit ID.", "Credit ID is missing (ar:CreditID of certificate '{certificate}'): nothing is stored without the Credit ID you will look it up and delete it by."),
    _c("661", "Diplomate ID not found in Board records.", "Certifying Board ID '{board_id}' was not found in {board}'s records."),
    _c("664", "Diplomate date of birth does not match Board record for this diplomate ID.", "Date of Birth '{birth_date}' does not match {board}'s record for Certifying Board ID '{board_id}'."),
    _c("665", "Diplomate name does not batch Board record.", "Name '{name}' does not match {board}'s record for Certifying Board ID '{board_id}'."),
    _c("670", "Activity ID does not match with a registered MOC activity.", "Activity {activity_id} is not registered for MOC with {board}."),
    _c("671", "Activity completion date not valid.", "Completion Date '{value}' is not a valid date (use MM/DD/YYYY)."),
    _c("672", "Activity completion date preceeds activity start date.", "Completion Date {completion_date} is before the activity's start date {start_date}."),
    _c("673", "MOC points not valid.", "{field} '{value}' is not valid MOC points ({reason})."),
    _c("674", "MOC points awarded are greater than amount listed for activity.", "MOC points {points} are more than the {offered} MOC points activity {activity_id} offers for {board}."),
    _c("675", "MOC points not in increment of .25", "{field} '{value}' is not in steps of 0.25."),
    _c("676", "Invalid activityCertification value.", "Invalid activityCertification value '{value}'."),
    _c("677", "Missing creditCertificate element."),
    _c("678", "Invalid activity credit certificate. Activity certificate [Activity Certificate Name] allowed once per learner submission record.", "Invalid activity credit certificate. Activity certificate '{certificate}' allowed once per learner submission record."),
    _c("680", "Patient safety credit not available for activity.", "Patient Safety credit is not available for {board} on activity {activity_id}."),
    _c("681", "Practice assessment credit not available for activity", "Practice Assessment credit is not available for {board} on activity {activity_id}."),
    _c("690", "ACCME activity ID does not exist", "ACCME Activity ID '{activity_id}' does not exist for this provider."),
    _c("705", "Due date for reporting participant data has passed. PARS will not accept participant records after the deadline set by the specialty board for the reporting year.", "Completion Date {completion_date} is outside the reporting window: completions of {year} were accepted until {deadline}."),
    _c("706", "Deadline for deleting participant data has passed. PARS will not accept deletions of participant records past the date set by the specialty board.", "The deadline for deleting completions of {year} passed on {deadline}."),
    _c("709", "Record is a duplicate for learner completion previously reported to Board.", "Duplicate: this learner's completion of activity {activity_id} on {completion_date} was already reported."),
    _c("710", "Maximum MOC points already granted."),
    _c("711", "MOC points reported exceed maximum available to this learner for this activity."),
    _c("712", "Learner ID type is not valid.", "Learner ID type '{value}' is not valid (use NPI, a certifying board or a 2-letter licensing state)."),
    _c("713", "Activity registration type is not valid.", "Activity registration type '{value}' is not valid."),
    _c("714", "OA REMS required field missing: [name of field]", "OA REMS required field missing: {field}."),
    _c("715", "OA REMS field [name of field] contains invalid data", "OA REMS field {field} contains invalid data: '{value}' (allowed: {allowed})."),
    _c("716", "Activity ID does not match a registered OA REMS activity.", "Activity {activity_id} is not registered for Opioid Analgesic REMS."),
    _c("717", "Learner cannot receive MOC credit for multiple completions of this activity on a single date.", "Learner cannot receive MOC credit twice for activity {activity_id} on {completion_date} (also on row {other_row} of this batch)."),
    _c("718", "Unable to match a learner with the information provided", "Unable to match a learner with the information provided ({identity})."),
    _c("719", "Diplomate birth date not valid.", "Date of Birth '{value}' is not valid (use MM/DD)."),
    _c("720", "Licensing state and licensing ID must be specified together", "Licensing State and Licensing ID must be given together (Licensing State '{state}', Licensing ID '{license_id}')."),
    _c("721", "Unknown Licensing Board", "Licensing State '{value}' is unknown (use a 2-letter US state code or the state's name)."),
    _c("722", "CME Credits not valid.", "{problem}."),
    _c("723", "DEA Registration not valid", "DEA Registration '{value}' is not valid."),
    _c("724", "Practice Area not valid", "Practice Area '{value}' is not valid."),
    _c("725", "Practice State not valid", "State of Primary Practice '{value}' is not valid."),
    _c("726", "Profession not valid", "Profession '{value}' is not valid."),
    _c("727", "Time in Practice not valid", "Time in Practice '{value}' is not valid."),
    _c("728", "Unknown MOC Board", "{problem}."),
    _c("729", "Missing DEA Registration"),
    _c("730", "Missing Practice Area"),
    _c("731", "Missing Practice State"),
    _c("732", "Missing Profession"),
    _c("733", "Missing Surgical Procedures"),
    _c("734", "Missing Time in Practice"),
    _c("735", "MOC Credit Type not valid", "Credit Type '{value}' is not allowed for {board} on activity {activity_id}."),
    _c("736", "Unknown REMS"),
    _c("737", "Record matches multiple Diplomates", "Record matches {count} physicians in the directory; check the name, date of birth and ids."),
    _c("738", "XML is Invalid: Exactly 1 Activity node expected"),
    _c("739", "XML is Invalid: Exactly 1 Module node expected"),
    _c("740", "XML is Invalid: Exactly 1 Member node expected"),
    _c("741", "XML is Invalid: Exactly 1 Name node expected"),
    _c("742", "XML is Invalid: Exactly 1 BirthDate node expected"),
    _c("743", "XML is Invalid: Exactly 1 UniqueID node expected"),
    _c("744", "XML is Invalid: Exactly 1 XtensibleInfo node expected"),
    _c("745", "XML is Invalid: Exactly 1 Participants node expected"),
    _c("746", "Missing Activity completion date", "Completion Date is missing (use MM/DD/YYYY)."),
    _c("747", "Activity completion date is after activity end date.", "Completion Date {completion_date} is after the activity's credit claim date {credit_claim_date}."),
    _c("748", "Total AMA Credits cannot be higher than the credits offered", "Number of CME Credits {credits} is more than the {offered} AMA PRA Category 1 credits activity {activity_id} offers."),
    _c("749", "Learners may not be reported for draft activities", "Activity {activity_id} is a draft without its {lacking}: learners may be reported on a draft activity only once it has its dates, credits and providership."),
    _c("750", "Learners may not be reported for activities in the future", "Completion Date {completion_date} is in the future."),
    _c("751", "Repeat participation is not allowed", "Repeat participation is not allowed for activity {activity_id}: this learner already completed it on {other_date}."),
    _c("998", "General learner record processing error.", "General learner record processing error: {reason}."),
)  # fmt: skip

CODES: dict[str, Code] = {code.code: code for code in (*ACTIVITY_CODES, *LEARNER_CODES)}


def error(code: str, **detail: object) -> RowError:
    """The RowError for a PARS code, its message filled from `detail` (KeyError on an unknown code)."""
    return RowError(code=code, message=CODES[code].render(**detail))


def activity_error(code: str, **detail: object) -> RowError:
    """Same as `error`, for the Appendix A codes of the SaveActivity service."""
    return error(code, **detail)
