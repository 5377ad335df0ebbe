# Контакты: список, карточка контакта, загрузка и выгрузка CSV.
contacts-title = Контакты
contacts-import-link = Загрузить файл CSV
contacts-export-link = Выгрузить все (CSV)
contacts-segments-link = Сегменты
contacts-search-label = Поиск по имени или номеру
contacts-search-placeholder = Анна, 916 123…
contacts-search-button = Найти
contacts-name = Имя
contacts-phone = Номер
contacts-tags = Метки
contacts-marketing = Рассылки
contacts-last-activity = Последнее сообщение
contacts-no-name = (без имени)
contacts-pages = Страницы контактов
contacts-first-page = ← В начало
contacts-next-page = Дальше →
contacts-none-found = По запросу «{ $q }» никого не нашлось.
contacts-no-more = Больше контактов нет.
contacts-empty = Контактов пока нет —
contacts-empty-import = загрузите файл CSV или добавьте контакт ниже.
contacts-tag-filter = Контакты с меткой «{ $tag }».
contacts-tag-clear = Показать всех
contacts-erased = Контакт { $phone } удалён. Если номер отписался, он остаётся в списке отписок.
contacts-add-title = Добавить контакт
contacts-add-hint = Номера без кода страны читаются как номера страны шлюза. Согласие на рассылки записывается при загрузке списка или через API — вместе с подтверждением.
contacts-add-button = Добавить
contacts-reach-opted_in = Согласие есть
contacts-reach-pending = Ждём подтверждения
contacts-reach-none = Нет согласия
contacts-reach-opted_out = Отписался
contacts-reach-invalid = Номер не работает
contacts-back = ← Все контакты
contacts-saved = Сохранено.
contacts-details = Данные
contacts-language = Язык
contacts-language-hint = Код языка: ru, en, es.
contacts-zone = Часовой пояс
contacts-zone-given = Задан вручную. Оставьте пустым, чтобы снова брать его по номеру.
contacts-zone-derived = По номеру: { $zone }. Впишите пояс (Europe/Samara…), чтобы задать другой.
contacts-tags-hint = Через запятую. Список заменяет метки контакта.
contacts-attributes = Поля
contacts-no-attributes = Полей пока нет.
contacts-attributes-hint = Сотрите значение, чтобы удалить поле. Числа, да/нет и даты (ГГГГ-ММ-ДД) сохраняют свой тип.
contacts-new-attribute = Новое поле
contacts-new-attribute-value = Значение
contacts-type-string = текст
contacts-type-number = число
contacts-type-boolean = да/нет
contacts-type-date = дата
contacts-save = Сохранить
contacts-consent = Согласие на рассылки
contacts-consent-status = Состояние
contacts-consent-opted_in = Согласие есть
contacts-consent-pending = Запрошено, ещё не подтверждено
contacts-consent-none = Нет согласия
contacts-consent-at = Когда
contacts-consent-source = Где получено
contacts-consent-evidence = На что согласился
contacts-consent-no-evidence = Текст не записан.
contacts-opted-out-since = Отписался { $when } ({ $source }): кроме подтверждения, сообщений не получает.
contacts-opted-out-keyword = Ответ был «{ $keyword }».
contacts-optout-source-keyword = ответом на сообщение
contacts-optout-source-api = через API
contacts-optout-source-import = при загрузке списка
contacts-optout-source-review = после проверки
contacts-invalid = Сообщения на этот номер не доходят, поэтому рассылки его пропускают, пока он не ответит или сообщение не будет доставлено.
contacts-marketing-yes = Рассылки дойдут до этого контакта.
contacts-marketing-no = Рассылки этот контакт пропускают; служебные сообщения уходят.
contacts-activity = Активность
contacts-created = Добавлен
contacts-last-sent = Последнее отправленное
contacts-last-delivered = Последнее доставленное
contacts-last-reply = Последний ответ
contacts-messages-sent = Отправлено сообщений
contacts-history = Сообщения этому контакту
contacts-history-when = Отправлено
contacts-history-text = Текст
contacts-history-status = Состояние
contacts-history-marketing = рассылка
contacts-history-pages = Страницы сообщений
contacts-history-older = Раньше →
contacts-history-newest = ← Последние
contacts-history-no-more = Более ранних сообщений нет.
contacts-history-empty = Сообщений пока не было —
contacts-history-send = отправить.
contacts-status-scheduled = запланировано
contacts-status-queued = в очереди
contacts-status-sending = отправляется
contacts-status-sent = отправлено
contacts-status-delivered = доставлено
contacts-status-failed = не отправлено
contacts-status-unknown = неизвестно
contacts-status-cancelled = отменено
contacts-status-expired = просрочено
contacts-status-suppressed = не отправлено (отписка)
contacts-erase-title = Удалить контакт
contacts-erase-hint = Удаляются имя, метки, поля и согласие. Отписка остаётся, поэтому номер по-прежнему ничего не получит.
contacts-erase-confirm = Удалить { $phone } и его личные данные? Это нельзя отменить.
contacts-erase-button = Удалить контакт
contacts-import-title = Загрузка контактов
contacts-import-file = Файл CSV
contacts-import-file-hint = Таблица, сохранённая как CSV, с заголовками столбцов. Один столбец — номер телефона; имя, метки, язык, часовой пояс и согласие распознаются; остальные столбцы станут полями.
contacts-import-reading = Читаем файл…
contacts-import-no-file = Сначала выберите файл CSV.
contacts-import-help-title = Что может быть в файле
contacts-import-help-columns = Столбцы: телефон (или номер, phone), имя, time_zone, язык, метки (через ;), consent, consent_at, consent_source, consent_evidence, opted_out. Перед загрузкой можно указать, что означает каждый столбец.
contacts-import-help-consent = Для согласия «opted_in» нужно подтверждение: где оно получено (consent_source) или когда (consent_at). «pending» — контакту придёт просьба подтвердить.
contacts-import-help-repeat = Контакты сопоставляются по номеру: повторная загрузка того же файла ничего не изменит.
contacts-import-preview = Перед загрузкой { $file }
contacts-import-choose-phone = Укажите ниже, в каком столбце номера телефонов.
contacts-import-mapping = Как будут прочитаны столбцы
contacts-import-mapping-hint = Если столбец не распознан, выберите для него поле — предпросмотр обновится.
contacts-import-column = Столбец в файле
contacts-import-becomes = Станет
contacts-import-becomes-for = Чем станет столбец { $column }
contacts-import-examples = Примеры
contacts-import-unnamed = Столбец { $n } (без названия)
contacts-import-field-phone = Номер телефона
contacts-import-field-name = Имя
contacts-import-field-time_zone = Часовой пояс
contacts-import-field-language = Язык
contacts-import-field-tags = Метки
contacts-import-field-consent = Согласие
contacts-import-field-consent_at = Согласие: когда
contacts-import-field-consent_source = Согласие: где
contacts-import-field-consent_evidence = Согласие: текст
contacts-import-field-opted_out = Отписка
contacts-import-field-attribute = Поле «{ $name }»
contacts-import-field-ignore = Не загружать
contacts-import-first-rows = Первые строки
contacts-import-line = Строка
contacts-import-would = Что будет загружено
contacts-import-rows = { $count ->
    [one] строка прочитана
    [few] строки прочитаны
   *[many] строк прочитано
}
contacts-import-new = { $count ->
    [one] новый контакт
    [few] новых контакта
   *[many] новых контактов
}
contacts-import-updated = { $count ->
    [one] контакт обновлён
    [few] контакта обновлены
   *[many] контактов обновлено
}
contacts-import-bad = { $count ->
    [one] строка с ошибкой
    [few] строки с ошибками
   *[many] строк с ошибками
}
contacts-import-created = { $count ->
    [one] контакт добавлен
    [few] контакта добавлены
   *[many] контактов добавлено
}
contacts-import-skipped = { $count ->
    [one] строка пропущена
    [few] строки пропущены
   *[many] строк пропущено
}
contacts-import-duplicates = { $count ->
    [one] { $count } строка повторяет номер из строки выше и объединяется с ней.
    [few] { $count } строки повторяют номера из строк выше и объединяются с ними.
   *[many] { $count } строк повторяют номера из строк выше и объединяются с ними.
}
contacts-import-confirmations = { $count ->
    [one] { $count } контакту придёт SMS с просьбой подтвердить согласие.
    [few] { $count } контактам придёт SMS с просьбой подтвердить согласие.
   *[many] { $count } контактам придёт SMS с просьбой подтвердить согласие.
}
contacts-import-confirmations-sent = { $count ->
    [one] { $count } просьба подтвердить согласие отправляется.
    [few] { $count } просьбы подтвердить согласие отправляются.
   *[many] { $count } просьб подтвердить согласие отправляются.
}
contacts-import-optouts = { $count ->
    [one] { $count } номер добавлен в список отписок.
    [few] { $count } номера добавлены в список отписок.
   *[many] { $count } номеров добавлено в список отписок.
}
contacts-import-bad-title = Строки, которые не будут загружены
contacts-import-reason = Причина
contacts-import-bad-more = …и ещё { $count }.
contacts-import-bad-skipped = Эти строки будут пропущены, остальные загрузятся. Исправьте их в файле и загрузите его ещё раз, если они нужны.
contacts-import-confirm = { $count ->
    [one] Загрузить { $count } строку
    [few] Загрузить { $count } строки
   *[many] Загрузить { $count } строк
}
contacts-import-nothing = Загружать нечего: исправьте файл или столбцы выше.
contacts-import-done = { $file } загружен
contacts-import-see = К контактам
contacts-import-another = Загрузить ещё файл
error-invalid_contact = Проверьте поле
error-unproven_consent = Согласию нужно подтверждение
error-no_phone_column = Нет столбца с номером телефона
error-invalid_csv = Этот файл не читается как CSV
error-invalid_options = Столбцы указаны неверно
error-no_file = Нет файла
error-bad_body = Файл пришёл не целиком
error-body_too_large = Файл слишком большой
error-bad_query = Слишком длинный запрос
