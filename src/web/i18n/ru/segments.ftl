# Сегменты: список и конструктор условий с подсчётом на лету.
segments-title = Сегменты
segments-intro = Сегмент — группа контактов, выбранных по условиям: метки, поля, согласие, язык, активность. Рассылки отправляются сегментам.
segments-new = Новый сегмент
segments-new-title = Новый сегмент
segments-name = Название
segments-name-placeholder = Постоянные клиенты из Казани
segments-audience = Аудитория
segments-updated = Изменён
segments-pages = Страницы сегментов
segments-no-more = Больше сегментов нет.
segments-empty = Сегментов пока нет —
segments-empty-new = создайте первый.
segments-deleted = Сегмент «{ $name }» удалён.
segments-back = ← Все сегменты
segments-saved = Сохранено.
segments-conditions = Кто в него входит
segments-not-editable = Условия этого сегмента заданы через API в виде, который конструктор не показывает. Здесь его можно переименовать или удалить; условия меняйте через API.
segments-save = Сохранить сегмент
segments-delete-title = Удалить сегмент
segments-delete-hint = Контакты не затрагиваются. Уже запущенные рассылки сохраняют своих получателей.
segments-delete-confirm = Удалить сегмент «{ $name }»?
segments-delete-button = Удалить сегмент
segments-groups-combine = Контакты, которые подходят
segments-groups-all = под все группы (И)
segments-groups-any = хотя бы под одну группу (ИЛИ)
segments-group = Группа { $n }
segments-match = Условия
segments-match-all = все сразу (И)
segments-match-any = любое из них (ИЛИ)
segments-condition = Условие { $n }
segments-attribute = Поле
segments-no-attributes = У контактов пока нет полей: сначала загрузите список с дополнительными столбцами.
segments-operator = Проверка
segments-value = Значение
segments-days = дн.
segments-remove-condition = Убрать
segments-add-condition = + Добавить условие
segments-add-group = + Добавить группу
segments-remove-group = Убрать группу
segments-everyone = Условий нет: все контакты.
segments-kind-tag = Метка
segments-kind-attr = Поле
segments-kind-consent = Согласие
segments-kind-language = Язык
segments-kind-status = Состояние номера
segments-kind-opted_out = Отписка
segments-kind-sent_within_days = Последнее сообщение
segments-kind-no_reply_for_days = Нет ответа
segments-op-tag-has = есть метка
segments-op-tag-has_not = нет метки
segments-op-consent-is = равно
segments-op-consent-is_not = не равно
segments-op-language-is = равно
segments-op-language-is_not = не равно
segments-op-status-is = равно
segments-op-opted_out-yes = в списке отписок
segments-op-opted_out-no = не в списке отписок
segments-op-sent_within_days-within = за последние
segments-op-sent_within_days-not_within = не было за последние
segments-op-no_reply_for_days-for = не меньше
segments-op-attr-eq = равно
segments-op-attr-ne = не равно
segments-op-attr-contains = содержит
segments-op-attr-exists = заполнено
segments-op-attr-not_exists = не заполнено
segments-op-attr-gt = больше
segments-op-attr-ge = не меньше
segments-op-attr-lt = меньше
segments-op-attr-le = не больше
segments-op-attr-is_true = да
segments-op-attr-is_false = нет
segments-op-attr-before = раньше
segments-op-attr-after = позже
segments-op-attr-within_days = за последние
segments-op-attr-older_than_days = больше … назад
segments-op-attr-month = в месяце
segments-op-attr-anniversary_within_days = годовщина в ближайшие
segments-status-active = работает
segments-status-invalid = не работает
segments-month-1 = январь
segments-month-2 = февраль
segments-month-3 = март
segments-month-4 = апрель
segments-month-5 = май
segments-month-6 = июнь
segments-month-7 = июль
segments-month-8 = август
segments-month-9 = сентябрь
segments-month-10 = октябрь
segments-month-11 = ноябрь
segments-month-12 = декабрь
segments-would-get = { $count ->
    [one] контакт получит рассылку
    [few] контакта получат рассылку
   *[many] контактов получат рассылку
}
segments-matched = { $count ->
    [one] Подходит { $n } контакт.
    [few] Подходят { $n } контакта.
   *[many] Подходят { $n } контактов.
}
segments-left-out = Не получат: без согласия — { $consent }, отписались — { $optout }, номер не работает — { $invalid }.
segments-sample = Например
segments-sample-empty = Рассылку пока никто не получит.
segments-json = Как фильтр для API
segments-count-short = { $count ->
    [one] { $n } контакт
    [few] { $n } контакта
   *[many] { $n } контактов
}
segments-count-invalid = условия больше не действуют
error-invalid_filter = Такое условие не подходит
error-invalid_name = Дайте сегменту название
error-name_taken = Такое название уже есть
segments-incomplete = Заполните значение каждого условия, чтобы увидеть, кто подходит.
