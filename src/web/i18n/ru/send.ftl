# Страница отправки.
send-title = Отправить сообщение
send-to = Кому
send-to-hint = По одному номеру в строке или через запятую. Номера без кода страны читаются как номера { $region }.
send-numbers-ok = { $count ->
    [0] Номеров пока нет.
    [one] { $count } номер готов.
    [few] { $count } номера готовы.
   *[many] { $count } номеров готовы.
}
send-numbers-repeated = { $count ->
    [one] { $count } номер указан дважды — он получит одно сообщение.
    [few] { $count } номера указаны дважды — каждый получит одно сообщение.
   *[many] { $count } номеров указаны дважды — каждый получит одно сообщение.
}
send-numbers-bad = { $count ->
    [one] { $count } запись — не номер телефона:
    [few] { $count } записи — не номера телефонов:
   *[many] { $count } записей — не номера телефонов:
}
send-numbers-line = Строка { $line }
send-number-empty = ничего не введено
send-number-character = символ «{ $character }» (позиция { $position }) не может быть в номере телефона
send-number-unreadable = это не номер телефона (слишком короткий, слишком длинный или без страны)
send-number-not-valid = такого номера нет; без кода страны номер читается как номер { $region }
send-text = Сообщение
send-counter-empty = Наберите текст — здесь появятся длина и стоимость.
send-counter-characters = Символов
send-counter-encoding = Кодировка
send-encoding-national = GSM-7 с национальной таблицей «{ $table }»
send-counter-segments = SMS на получателя
send-counter-cost = { $count ->
    [one] Стоимость
   *[other] Стоимость для { $count } получателей
}
send-counter-gsm-limit = GSM-7: в одну SMS помещается 160 символов, длинный текст уходит частями по 153.
send-counter-ucs2-limit = UCS-2: в одну SMS помещается 70 символов, длинный текст уходит частями по 67.
send-counter-normalized = Типографские кавычки и тире при отправке заменяются простыми.
send-forcing-intro = { $count ->
    [one] Из-за этого символа сообщение уйдёт в UCS-2, и в одну SMS поместится меньше текста:
   *[other] Из-за этих символов сообщение уйдёт в UCS-2, и в одну SMS поместится меньше текста:
}
send-forcing-none = простой замены нет
send-forcing-suggest = С простыми символами текст займёт { $segments } SMS вместо { $now }.
send-forcing-fix = Заменить
send-forcing-keep = Для этих букв нет замены в GSM-7 — для такого текста UCS-2 подходит.
send-options = Параметры
send-at = Когда отправить (необязательно)
send-at-hint = Оставьте пустым, чтобы отправить сейчас. Время — в вашем часовом поясе ({ $zone }).
send-category = Тип сообщения
send-category-transactional = Служебное (заказы, напоминания, коды)
send-category-marketing = Рекламное (нужно согласие контакта)
send-category-hint = Рекламные сообщения получают только контакты, давшие согласие.
send-report = Запросить отчёт о доставке
send-submit = Отправить
send-not-sent = Ничего не отправлено.
send-error-no-numbers = Добавьте хотя бы один номер телефона.
send-error-bad-numbers = { $count ->
    [one] Исправьте или удалите запись, которая не является номером.
   *[other] Исправьте или удалите записи, которые не являются номерами ({ $count }).
}
send-error-too-many = { $count } номеров — больше, чем { $max } за раз. Для большой аудитории используйте рассылку.
send-error-past = Это время уже прошло. Выберите более позднее или оставьте поле пустым, чтобы отправить сейчас.
send-error-time = Не удалось прочитать время отправки. Выберите дату и время.
send-error-empty_text = Наберите текст сообщения.
send-error-invalid_text = В тексте есть невидимый управляющий символ (возможно, при вставке). Удалите его и попробуйте снова.
send-error-too_long = Сообщение слишком длинное: оно заняло бы больше 255 SMS.
send-error-invalid_number = На этот номер нельзя отправить SMS.
send-error-no_consent = Не отправлено: для рекламного сообщения нужно согласие контакта.
send-error-no-key = Эта форма создана не этой страницей (или устарела): проверьте номера и текст и снова нажмите «Отправить».
send-error-category = Выберите, служебное это сообщение или реклама.
send-error-opted_out = Не отправлено: этот номер отписался (ответил STOP или добавлен в отписки). На него можно отправить только подтверждение отписки.
send-error-no_contact = Не отправлено: этого номера нет среди контактов, а рекламу получают только контакты, давшие согласие.
send-error-consent_pending = Не отправлено: контакт ещё не ответил ДА на запрос согласия.
send-error-idempotency_conflict = С этой формы уже отправлен другой текст. Откройте новую форму.
send-result-title = Сообщение отправлено
send-result-accepted = { $count ->
    [0] Ни одно сообщение не принято.
    [one] Принято { $count } сообщение.
    [few] Принято { $count } сообщения.
   *[many] Принято { $count } сообщений.
}
send-result-suppressed = { $count ->
    [one] { $count } из них не будет отправлено: номер отписался.
   *[other] { $count } из них не будут отправлены: номера отписались.
}
send-result-refused = { $count ->
    [one] { $count } номер не принят.
    [few] { $count } номера не приняты.
   *[many] { $count } номеров не принято.
}
send-result-scheduled = Они будут отправлены { $when }.
send-result-repeated = Эта форма уже была отправлена: повторно ничего не ушло.
send-result-caption = Каждое сообщение и его состояние сейчас.
send-col-to = Кому
send-col-status = Состояние
send-col-message = Сообщение
send-result-already = (отправлено ранее)
send-result-not-accepted = не принято
send-result-open = Сообщение №{ $id }
send-result-more = { $count ->
    [one] Ещё { $count } сообщение — на странице «Сообщения».
    [few] Ещё { $count } сообщения — на странице «Сообщения».
   *[many] Ещё { $count } сообщений — на странице «Сообщения».
}
send-their-time = у них: { $time }, { $zone }
send-another = Отправить ещё
send-see-messages = Все сообщения
error-invalid_number = Это не номер телефона
error-empty_text = Пустое сообщение
error-invalid_text = Этот текст нельзя отправить
error-too_long = Слишком длинное сообщение
error-no_consent = Нет согласия на рекламу
error-idempotency_conflict = Форма уже использована
