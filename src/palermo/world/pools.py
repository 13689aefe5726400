"""Name pools: each name in its native script with the Latin spellings seen in practice.

Hand-written on purpose: they pair a native form with the transliterations different
agencies really produce (English, German, French, passport conventions), which a
transliteration library alone cannot give. The first Latin form is the passport (MRZ) one.
"""

from __future__ import annotations

from dataclasses import dataclass

Name = tuple[str, tuple[str, ...]]  # (native script, Latin variants)


@dataclass(frozen=True)
class Culture:
    code: str
    script: str
    family_first: bool
    male: tuple[Name, ...]
    female: tuple[Name, ...]
    family: tuple[Name, ...]


def latin(*names: str) -> tuple[Name, ...]:
    return tuple((n, (n,)) for n in names)


CULTURES: dict[str, Culture] = {
    "UA": Culture(
        "UA",
        "Cyrillic",
        False,
        male=(
            ("Олександр", ("Oleksandr", "Aleksandr", "Alexander")),
            ("Дмитро", ("Dmytro", "Dmitri", "Dmitrij")),
            ("Іван", ("Ivan", "Iwan")),
            ("Сергій", ("Serhii", "Sergei", "Sergej")),
            ("Андрій", ("Andrii", "Andrei", "Andrej")),
            ("Микола", ("Mykola", "Nikolai", "Nikolaj")),
            ("Віктор", ("Viktor", "Victor", "Wiktor")),
        ),
        female=(
            ("Олена", ("Olena", "Elena", "Jelena")),
            ("Наталія", ("Nataliia", "Natalia", "Natalja")),
            ("Ірина", ("Iryna", "Irina")),
            ("Оксана", ("Oksana", "Oxana")),
            ("Юлія", ("Yuliia", "Yulia", "Julija")),
            ("Тетяна", ("Tetiana", "Tatiana", "Tatjana")),
        ),
        family=(
            ("Коваленко", ("Kovalenko", "Kowalenko")),
            ("Бондаренко", ("Bondarenko",)),
            ("Шевченко", ("Shevchenko", "Schewtschenko", "Sevcenko")),
            ("Мельник", ("Melnyk", "Melnik")),
            ("Ткаченко", ("Tkachenko", "Tkatschenko")),
            ("Волков", ("Volkov", "Wolkow", "Volkoff")),
            ("Петренко", ("Petrenko",)),
            ("Кравчук", ("Kravchuk", "Krawtschuk")),
        ),
    ),
    "TH": Culture(
        "TH",
        "Thai",
        False,
        male=(
            ("สมชาย", ("Somchai", "Somchay")),
            ("ประยุทธ", ("Prayut", "Prayuth")),
            ("วิชัย", ("Wichai", "Vichai")),
            ("สมศักดิ์", ("Somsak", "Som Sak")),
            ("ธนากร", ("Thanakorn", "Tanakorn")),
        ),
        female=(
            ("สมศรี", ("Somsri", "Som Sri")),
            ("มาลี", ("Malee", "Mali")),
            ("นิตยา", ("Nittaya", "Nitaya")),
            ("พรทิพย์", ("Pornthip", "Porntip")),
            ("อรุณี", ("Arunee", "Aruni")),
            ("สุดารัตน์", ("Sudarat", "Sudarut")),
        ),
        family=(
            ("ใจดี", ("Jaidee", "Chaidee")),
            ("สุขสวัสดิ์", ("Suksawat", "Sooksawad")),
            ("ศรีสุข", ("Srisuk", "Sisuk")),
            ("บุญมา", ("Boonma", "Bunma")),
            ("วงศ์ใหญ่", ("Wongyai", "Wong Yai")),
            ("แก้วมณี", ("Kaewmanee", "Kaewmani")),
        ),
    ),
    "CN": Culture(
        "CN",
        "Han",
        True,
        male=(
            ("伟", ("Wei",)),
            ("军", ("Jun", "Chun")),
            ("小明", ("Xiaoming", "Hsiao-ming")),
            ("强", ("Qiang", "Chiang")),
            ("磊", ("Lei",)),
        ),
        female=(
            ("丽", ("Li", "Lee")),
            ("静", ("Jing", "Ching")),
            ("芳", ("Fang",)),
            ("秀英", ("Xiuying", "Hsiu-ying")),
            ("敏", ("Min",)),
        ),
        family=(
            ("王", ("Wang", "Wong")),
            ("李", ("Li", "Lee")),
            ("张", ("Zhang", "Chang", "Cheung")),
            ("刘", ("Liu", "Lau")),
            ("陈", ("Chen", "Chan")),
            ("杨", ("Yang", "Yeung")),
        ),
    ),
    "SY": Culture(
        "SY",
        "Arabic",
        False,
        male=(
            ("محمد", ("Mohamed", "Muhammad", "Mohammed")),
            ("أحمد", ("Ahmad", "Ahmed")),
            ("علي", ("Ali", "Aly")),
            ("يوسف", ("Yousef", "Yusuf", "Youssef")),
            ("خالد", ("Khaled", "Khalid")),
        ),
        female=(
            ("فاطمة", ("Fatima", "Fatma")),
            ("مريم", ("Mariam", "Maryam")),
            ("ليلى", ("Laila", "Layla", "Leila")),
            ("نور", ("Nour", "Noor")),
        ),
        family=(
            ("الحسن", ("Al Hassan", "Alhassan", "El-Hassan")),
            ("خليل", ("Khalil", "Khaleel")),
            ("حداد", ("Haddad", "Hadad")),
            ("النجار", ("Al Najjar", "Alnajjar", "En-Naggar")),
            ("العلي", ("Al Ali", "Alali")),
        ),
    ),
    "NG": Culture(
        "NG",
        "Latin",
        False,
        male=latin("Efosa", "Osagie", "Eghosa", "Osaro", "Chinedu", "Emeka", "Uyi"),
        female=latin("Blessing", "Joy", "Precious", "Favour", "Gift", "Peace", "Osas", "Esohe"),
        family=latin(
            "Igbinedion", "Omoregie", "Eweka", "Okonkwo", "Adeyemi", "Obi", "Aigbe", "Osayande"
        ),
    ),
    "RO": Culture(
        "RO",
        "Latin",
        False,
        male=(
            ("Ionuț", ("IONUT", "Ionut")),
            ("Mihai", ("MIHAI", "Mihai")),
            ("Ștefan", ("STEFAN", "Stefan")),
            ("Florin", ("FLORIN", "Florin")),
        ),
        female=(
            ("Andreea", ("ANDREEA", "Andreea")),
            ("Elena", ("ELENA", "Elena")),
            ("Ioana", ("IOANA", "Ioana")),
            ("Mădălina", ("MADALINA", "Madalina")),
        ),
        family=(
            ("Popescu", ("POPESCU", "Popescu")),
            ("Ionescu", ("IONESCU", "Ionescu")),
            ("Stănescu", ("STANESCU", "Stanescu")),
            ("Rădulescu", ("RADULESCU", "Radulescu")),
            ("Dumitru", ("DUMITRU", "Dumitru")),
        ),
    ),
    "VN": Culture(
        "VN",
        "Latin",
        True,
        male=(
            ("Văn Nam", ("VAN NAM", "Van Nam")),
            ("Minh Tuấn", ("MINH TUAN", "Minh Tuan")),
            ("Đức Anh", ("DUC ANH", "Duc Anh")),
        ),
        female=(
            ("Thị Hoa", ("THI HOA", "Thi Hoa")),
            ("Thu Trang", ("THU TRANG", "Thu Trang")),
            ("Ngọc Lan", ("NGOC LAN", "Ngoc Lan")),
        ),
        family=(
            ("Nguyễn", ("NGUYEN", "Nguyen")),
            ("Trần", ("TRAN", "Tran")),
            ("Lê", ("LE", "Le")),
            ("Phạm", ("PHAM", "Pham")),
            ("Hoàng", ("HOANG", "Hoang")),
        ),
    ),
}
