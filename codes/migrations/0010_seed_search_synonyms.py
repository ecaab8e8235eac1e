"""The synonym and abbreviation table search reads (codes/search.py), seeded with the coder
shorthand that used to be a dictionary in codes/search.py and the lay words patients use.

From here on it is data: editors keep it in the admin (Codes → Search synonyms), with history.
Each row: what people type, the official wording it stands for ("|" between alternatives), kind.
"""

from django.db import migrations

SYNONYMS = [
    # Coder shorthand (the former codes.search.ABBREVIATIONS, some with more alternatives)
    ("a1c", "hemoglobin a1c | hba1c", "shorthand"),
    ("afib", "atrial fibrillation", "shorthand"),
    ("awv", "annual wellness visit", "shorthand"),
    ("bmp", "basic metabolic panel", "shorthand"),
    ("bph", "benign prostatic hyperplasia", "shorthand"),
    ("bx", "biopsy", "shorthand"),
    ("cabg", "coronary artery bypass", "shorthand"),
    ("cad", "atherosclerotic heart disease | coronary artery disease", "shorthand"),
    ("cbc", "blood count", "shorthand"),
    ("chf", "heart failure", "shorthand"),
    ("chole", "cholecystectomy | resection gallbladder", "shorthand"),
    ("ckd", "chronic kidney disease", "shorthand"),
    ("cmp", "comprehensive metabolic panel", "shorthand"),
    ("copd", "chronic obstructive pulmonary disease", "shorthand"),
    ("ct", "computed tomography | computerized tomography", "shorthand"),
    ("cva", "cerebral infarction", "shorthand"),
    ("dm", "diabetes mellitus", "shorthand"),
    ("dme", "durable medical equipment", "shorthand"),
    ("dvt", "deep vein thrombosis | thrombosis deep veins", "shorthand"),
    ("ecg", "electrocardiogram", "shorthand"),
    ("echo", "echocardiography", "shorthand"),
    ("ed", "emergency department", "shorthand"),
    ("ekg", "electrocardiogram", "shorthand"),
    ("em", "evaluation management", "shorthand"),
    ("fx", "fracture", "shorthand"),
    ("gerd", "gastro-esophageal reflux disease", "shorthand"),
    ("hba1c", "hemoglobin a1c", "shorthand"),
    ("htn", "hypertension", "shorthand"),
    ("hx", "history", "shorthand"),
    ("lap", "laparoscopic | percutaneous endoscopic", "shorthand"),
    ("lbp", "low back pain", "shorthand"),
    ("mi", "myocardial infarction", "shorthand"),
    ("mri", "magnetic resonance imaging", "shorthand"),
    ("ov", "office visit", "shorthand"),
    ("pe", "pulmonary embolism", "shorthand"),
    ("sob", "shortness of breath", "shorthand"),
    ("t2dm", "type 2 diabetes mellitus", "shorthand"),
    ("tee", "transesophageal echocardiography | transesophageal echo", "shorthand"),
    ("tte", "transthoracic echocardiography | transthoracic echo", "shorthand"),
    ("uri", "upper respiratory infection", "shorthand"),
    ("uti", "urinary tract infection", "shorthand"),
    ("xray", "radiologic | radiograph | radiography", "shorthand"),
    # Official wording that titles spell differently
    ("angioplasty", "dilation", "synonym"),
    ("appendectomy", "resection appendix", "synonym"),
    ("cesarean", "extraction products conception", "synonym"),
    ("cholecystectomy", "resection gallbladder | removal gallbladder", "synonym"),
    ("colonoscopy", "inspection lower intestinal tract", "synonym"),
    ("echocardiography", "echo", "synonym"),
    ("hysterectomy", "resection uterus", "synonym"),
    ("mastectomy", "resection breast", "synonym"),
    ("mechanical ventilation", "respiratory ventilation", "synonym"),
    ("meniscectomy", "meniscus", "synonym"),
    ("stent", "intraluminal device", "synonym"),
    ("tonsillectomy", "resection tonsils", "synonym"),
    ("vaccine", "vaccine | immunization", "synonym"),
    # Lay words
    ("athlete's foot", "tinea pedis", "lay"),
    ("bed sore", "pressure ulcer", "lay"),
    ("bedsore", "pressure ulcer", "lay"),
    ("bee sting", "venom bees | venomous insect", "lay"),
    ("belly pain", "abdominal pain", "lay"),
    ("bladder infection", "cystitis | urinary tract infection", "lay"),
    ("blood clot", "thrombosis | embolism", "lay"),
    ("blood draw", "venipuncture | blood specimen", "lay"),
    ("broken", "fracture", "lay"),
    ("broken hip", "fracture neck femur | pertrochanteric fracture", "lay"),
    ("c-section", "extraction products conception", "lay"),
    ("chicken pox", "varicella", "lay"),
    ("cold sore", "herpesviral vesicular dermatitis", "lay"),
    ("dog bite", "bitten dog", "lay"),
    ("ear infection", "otitis media | otitis externa", "lay"),
    ("fainting", "syncope", "lay"),
    ("flu", "influenza", "lay"),
    ("flu shot", "influenza vaccine", "lay"),
    ("gallstones", "cholelithiasis | calculus gallbladder", "lay"),
    ("heart attack", "myocardial infarction", "lay"),
    ("high blood pressure", "hypertension", "lay"),
    ("high blood sugar", "hyperglycemia", "lay"),
    ("high cholesterol", "hypercholesterolemia | hyperlipidemia", "lay"),
    ("hip fracture", "fracture neck femur | pertrochanteric fracture", "lay"),
    ("hives", "urticaria", "lay"),
    ("irregular heartbeat", "arrhythmia", "lay"),
    ("itching", "pruritus", "lay"),
    ("kidney stones", "calculus kidney", "lay"),
    ("lockjaw", "tetanus", "lay"),
    ("low blood sugar", "hypoglycemia", "lay"),
    ("low iron", "iron deficiency", "lay"),
    ("mono", "infectious mononucleosis", "lay"),
    ("nosebleed", "epistaxis", "lay"),
    ("pink eye", "conjunctivitis", "lay"),
    ("ringworm", "tinea | dermatophytosis", "lay"),
    ("shingles", "zoster", "lay"),
    ("sore throat", "pharyngitis", "lay"),
    ("stomach ache", "abdominal pain", "lay"),
    ("stomach flu", "gastroenteritis", "lay"),
    ("strep throat", "streptococcal pharyngitis", "lay"),
    ("stroke", "cerebral infarction", "lay"),
    ("sugar diabetes", "type 2 diabetes mellitus", "lay"),
    ("swelling", "edema", "lay"),
    ("water on the brain", "hydrocephalus", "lay"),
]

GROUP = "Editors"
ACTIONS = ["add", "change", "view", "delete"]


def seed(apps, schema_editor):
    SearchSynonym = apps.get_model("codes", "SearchSynonym")
    for term, alternatives, kind in SYNONYMS:
        SearchSynonym.objects.update_or_create(
            term=term, defaults={"alternatives": alternatives, "kind": kind}
        )
    # Editors keep the table; the other official data is the importers'.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("codes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="codes",
            codename__in=[f"{action}_searchsynonym" for action in ACTIONS],
        )
    )


def unseed(apps, schema_editor):
    apps.get_model("codes", "SearchSynonym").objects.filter(
        term__in=[term for term, _, _ in SYNONYMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0009_public_search_words_and_versions"),
        ("codes", "0003_editors_group"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
